import type * as OpenCV from '@techstark/opencv-js';
import { type Box, clamp, scaleBox } from '../geometry/box.ts';
import { cascade, type CascadeName } from '../opencv/cascade-classifiers.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import type { GrayScanImage } from './gray-scan-image.ts';

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

/**
 * Runs `name` over `regions` (working px; the whole image when undefined) of a scan image and
 * returns hits in working px. With `mirrored`, each region is flipped left-right first, so a
 * cascade trained on one profile direction finds the other; boxes are mapped back unflipped.
 */
export function scanCascadeInRegions(
  scope: MatScope,
  name: CascadeName,
  scan: GrayScanImage,
  options: CascadeScanOptions,
  regions: Box[] | undefined,
  mirrored = false,
): CascadeHit[] {
  const { mat, scale } = scan;
  const rects = (regions ?? [{ x: 0, y: 0, w: mat.cols * scale, h: mat.rows * scale }]).map((r) => {
    const x = clamp(Math.floor(r.x / scale), 0, mat.cols);
    const y = clamp(Math.floor(r.y / scale), 0, mat.rows);
    return { x, y, w: clamp(Math.ceil((r.x + r.w) / scale), x, mat.cols) - x, h: clamp(Math.ceil((r.y + r.h) / scale), y, mat.rows) - y };
  });
  const hits: CascadeHit[] = [];
  for (const rect of rects) {
    if (Math.min(rect.w, rect.h) < options.minSize) continue;
    let region = scope.track(mat.roi(new (cv().Rect)(rect.x, rect.y, rect.w, rect.h)));
    if (mirrored) {
      const flipped = scope.track(new (cv().Mat)());
      cv().flip(region, flipped, 1);
      region = flipped;
    }
    for (const hit of scanCascade(scope, name, region, options)) {
      const x = mirrored ? rect.w - hit.box.x - hit.box.w : hit.box.x;
      hits.push({ box: scaleBox({ ...hit.box, x: rect.x + x, y: rect.y + hit.box.y }, scale), neighbors: hit.neighbors });
    }
  }
  return hits;
}
