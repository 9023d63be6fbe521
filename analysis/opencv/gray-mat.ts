import type * as OpenCV from '@techstark/opencv-js';
import type { RgbImage } from '../image/rgb-image.ts';
import type { MatScope } from './mat-scope.ts';
import { cv } from './runtime.ts';
import { rgbMat } from './rgb-mat.ts';

/**
 * Grey working image at full working resolution, made once per analysis: the people stage's scan
 * images and checks and the edge focus's energy map are all derived from it.
 */
export function toGrayMat(scope: MatScope, image: RgbImage): OpenCV.Mat {
  const rgb = rgbMat(scope, image);
  const gray = scope.track(new (cv().Mat)());
  cv().cvtColor(rgb, gray, cv().COLOR_RGB2GRAY);
  return gray;
}
