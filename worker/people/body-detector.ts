import type * as OpenCV from '@techstark/opencv-js';
import { type Box, coverage } from '../geometry/box.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import { scanCascade } from './cascade-scan.ts';
import { grayScanImage } from './gray-scan-image.ts';

export type BodyKind = 'upper' | 'full';

export interface DetectedBody {
  box: Box;
  kind: BodyKind;
  neighbors: number;
}

export interface BodyDetectionOptions {
  /**
   * Long side of the full-body scan, whole frame. Default 240: the smallest full body found (14×28
   * window) is then 12% of the long side; a person that small hardly steers a crop, and bodies need
   * no fine detail, so the low resolution costs nothing that matters.
   */
  scanSize: number;
  /** Pyramid step of the full-body scan. Default 1.2. */
  scaleFactor: number;
  /** Neighbours a body needs. Default 3 (body cascades are noisy; faces confirm the weak ones). */
  minNeighbors: number;
}

export const DEFAULT_BODY_DETECTION_OPTIONS: BodyDetectionOptions = {
  scanSize: 240,
  scaleFactor: 1.2,
  minNeighbors: 3,
};

/** Face width, in scan px, the upper-body cascade's 22×18 window expects of a head. */
const UPPER_BODY_FACE_WIDTH = 8;

/** Full bodies over the whole frame, working px. Nested hits are reduced to the outer one. */
export function detectFullBodies(
  scope: MatScope,
  gray: OpenCV.Mat,
  options: BodyDetectionOptions = DEFAULT_BODY_DETECTION_OPTIONS,
): DetectedBody[] {
  const scan = grayScanImage(scope, gray, options.scanSize);
  const settings = { scaleFactor: options.scaleFactor, minNeighbors: options.minNeighbors, minSize: 14 };
  const full = scanCascade(scope, 'fullBody', scan.mat, settings, scan.scale).map(
    (hit): DetectedBody => ({ box: hit.box, kind: 'full', neighbors: hit.neighbors }),
  );
  return full.filter((b) => !full.some((o) => o !== b && coverage(b.box, o.box) > 0.8 && o.box.w * o.box.h > b.box.w * b.box.h));
}

/**
 * Head and shoulders below a known face: the upper-body cascade runs only on the region where that
 * face's shoulders would be, scaled so the face is the head size the cascade expects. A global
 * upper-body scan costs as much as a face scan and, without a face, fires on too much clutter.
 */
export function detectUpperBodyBelow(scope: MatScope, gray: OpenCV.Mat, face: Box, minNeighbors: number): DetectedBody[] {
  const x0 = Math.max(0, Math.floor(face.x - face.w * 1.8));
  const y0 = Math.max(0, Math.floor(face.y - face.h * 0.6));
  const x1 = Math.min(gray.cols, Math.ceil(face.x + face.w * 2.8));
  const y1 = Math.min(gray.rows, Math.ceil(face.y + face.h * 3.5));
  if (x1 - x0 < 4 || y1 - y0 < 4) return [];
  const k = UPPER_BODY_FACE_WIDTH / face.w;
  const roi = scope.track(gray.roi(new (cv().Rect)(x0, y0, x1 - x0, y1 - y0)));
  const small = scope.track(new (cv().Mat)());
  const size = new (cv().Size)(Math.max(1, Math.round((x1 - x0) * k)), Math.max(1, Math.round((y1 - y0) * k)));
  cv().resize(roi, small, size, 0, 0, k < 1 ? cv().INTER_AREA : cv().INTER_LINEAR);
  const equalized = scope.track(new (cv().Mat)());
  cv().equalizeHist(small, equalized);
  return scanCascade(scope, 'upperBody', equalized, { scaleFactor: 1.1, minNeighbors, minSize: 18, maxSize: 60 }).map((hit) => ({
    box: { x: x0 + hit.box.x / k, y: y0 + hit.box.y / k, w: hit.box.w / k, h: hit.box.h / k },
    kind: 'upper',
    neighbors: hit.neighbors,
  }));
}
