import type * as OpenCV from '@techstark/opencv-js';
import type { Box } from '../geometry/box.ts';
import { cascade, type CascadeName } from '../opencv/cascade-classifiers.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';

type DetectMultiScale2 = {
  detectMultiScale2(
    image: OpenCV.Mat,
    objects: OpenCV.RectVector,
    numDetections: OpenCV.IntVector,
    scaleFactor: number,
    minNeighbors: number,
    flags: number,
    minSize: OpenCV.Size,
    maxSize: OpenCV.Size,
  ): void;
};

/** One grouped cascade detection. */
export interface CascadeHit {
  box: Box;
  /** Raw windows merged into this hit: the classic Haar confidence (more neighbours, surer hit). */
  neighbors: number;
}

export interface CascadeScanOptions {
  scaleFactor: number;
  minNeighbors: number;
  /** Smallest object side in scan pixels; the cascade's window size when smaller. */
  minSize: number;
  /** Largest object side in scan pixels; 0 = no limit. */
  maxSize?: number;
}

/**
 * Runs `name` over `gray` and returns its grouped hits in the coordinates of `gray`, multiplied by
 * `toWorking` (so callers get working-image pixels directly).
 */
export function scanCascade(
  scope: MatScope,
  name: CascadeName,
  gray: OpenCV.Mat,
  options: CascadeScanOptions,
  toWorking = 1,
): CascadeHit[] {
  const objects = scope.track(new (cv().RectVector)());
  const counts = scope.track(new (cv().IntVector)());
  const min = Math.round(options.minSize);
  const max = Math.round(options.maxSize ?? 0);
  if (max > 0 && max < min) return [];
  if (Math.min(gray.cols, gray.rows) < min) return [];
  // detectMultiScale2 (with neighbour counts) exists in opencv.js 4.12 but not in its typings.
  (cascade(name) as unknown as DetectMultiScale2).detectMultiScale2(
    gray,
    objects,
    counts,
    options.scaleFactor,
    options.minNeighbors,
    0,
    new (cv().Size)(min, min),
    new (cv().Size)(max, max),
  );
  const hits: CascadeHit[] = [];
  for (let i = 0; i < objects.size(); i++) {
    const r = objects.get(i);
    hits.push({
      box: { x: r.x * toWorking, y: r.y * toWorking, w: r.width * toWorking, h: r.height * toWorking },
      neighbors: counts.get(i) ?? 0,
    });
  }
  return hits;
}

