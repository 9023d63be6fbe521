import type * as OpenCV from '@techstark/opencv-js';
import { type Box, toPixelBox } from '../geometry/box.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';

/** Side the region is resampled to, so regions of any size are judged at the same detail scale. */
const SAMPLE_SIDE = 64;

/**
 * Mean absolute Laplacian of `box` in the grey working image, resampled so its long side is 64 px:
 * how much fine detail the region holds relative to its own size (a face in focus shows eyelids,
 * nostrils and hair; a blurred one is smooth). Typical values: ~2 blurred, 8-20 sharp.
 */
export function regionSharpness(scope: MatScope, gray: OpenCV.Mat, box: Box): number {
  const r = toPixelBox(box, { width: gray.cols, height: gray.rows });
  if (r.w < 2 || r.h < 2) return 0;
  const roi = scope.track(gray.roi(new (cv().Rect)(r.x, r.y, r.w, r.h)));
  const k = SAMPLE_SIDE / Math.max(r.w, r.h);
  const sample = scope.track(new (cv().Mat)());
  const size = new (cv().Size)(Math.max(3, Math.round(r.w * k)), Math.max(3, Math.round(r.h * k)));
  cv().resize(roi, sample, size, 0, 0, k < 1 ? cv().INTER_AREA : cv().INTER_LINEAR);
  const laplacian = scope.track(new (cv().Mat)());
  cv().Laplacian(sample, laplacian, cv().CV_16S, 1);
  const magnitude = scope.track(new (cv().Mat)());
  cv().convertScaleAbs(laplacian, magnitude);
  return cv().mean(magnitude)[0] ?? 0;
}
