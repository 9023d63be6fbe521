import type * as OpenCV from '@techstark/opencv-js';
import { type Box, coverage } from '../geometry/box.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
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
   * Long side of the body scan image. Default 320: the smallest upper body found (22×18 window) is
   * then 7% of the long side, the smallest full body (14×28) 9% of it, and a person that small
   * hardly steers a crop; bodies need no fine detail, so the low resolution costs nothing.
   */
  scanSize: number;
  scaleFactor: number;
  /** Neighbours a body needs. Default 3 (body cascades are noisy; faces confirm the weak ones). */
  minNeighbors: number;
}

export const DEFAULT_BODY_DETECTION_OPTIONS: BodyDetectionOptions = {
  scanSize: 320,
  scaleFactor: 1.1,
  minNeighbors: 3,
};

/** Upper and full bodies, working px. Nested hits of one kind are reduced to the outer one. */
export function detectBodies(
  scope: MatScope,
  gray: OpenCV.Mat,
  options: BodyDetectionOptions = DEFAULT_BODY_DETECTION_OPTIONS,
): DetectedBody[] {
  const scan = grayScanImage(scope, gray, options.scanSize);
  const settings = { scaleFactor: options.scaleFactor, minNeighbors: options.minNeighbors };
  const upper = scanCascade(scope, 'upperBody', scan.mat, { ...settings, minSize: 18 }, scan.scale).map(
    (hit): DetectedBody => ({ box: hit.box, kind: 'upper', neighbors: hit.neighbors }),
  );
  const full = scanCascade(scope, 'fullBody', scan.mat, { ...settings, minSize: 14 }, scan.scale).map(
    (hit): DetectedBody => ({ box: hit.box, kind: 'full', neighbors: hit.neighbors }),
  );
  return [...outermost(upper), ...outermost(full)];
}

function outermost(bodies: DetectedBody[]): DetectedBody[] {
  return bodies.filter((b) => !bodies.some((o) => o !== b && coverage(b.box, o.box) > 0.8 && o.box.w * o.box.h > b.box.w * b.box.h));
}
