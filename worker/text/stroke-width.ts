import type { Box } from '../geometry/box.ts';

/**
 * Stroke width of one connected component, measured on the distance transform: along a stroke's
 * medial ridge the distance to the background is half the stroke width. Printed glyphs keep one
 * pen width, so the ridge values of a letter vary little; foliage, texture and object edges vary a lot.
 */
export interface StrokeStats {
  /** Mean stroke width in pixels (2 × mean ridge distance); 0 when the component has no ridge. */
  width: number;
  /** Coefficient of variation of the ridge distances (0 = perfectly even stroke). */
  variation: number;
}

/**
 * `labels` are component labels, `distance` the distance transform of the same binary image, both
 * row-major with `stride` pixels per row. Only pixels of `label` inside `box` are read. A ridge
 * pixel is one whose distance is no less than its four neighbours'.
 */
export function strokeStats(labels: Int32Array, distance: Float32Array, stride: number, rows: number, label: number, box: Box): StrokeStats {
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  const y0 = Math.max(1, box.y);
  const y1 = Math.min(rows - 1, box.y + box.h);
  const x0 = Math.max(1, box.x);
  const x1 = Math.min(stride - 1, box.x + box.w);
  for (let y = y0; y < y1; y++) {
    for (let i = y * stride + x0, end = y * stride + x1; i < end; i++) {
      if (labels[i] !== label) continue;
      const d = distance[i]!;
      if (d < distance[i - 1]! || d < distance[i + 1]! || d < distance[i - stride]! || d < distance[i + stride]!) continue;
      sum += d;
      sumSq += d * d;
      count++;
    }
  }
  if (count === 0) return { width: 0, variation: 0 };
  const mean = sum / count;
  return { width: 2 * mean, variation: Math.sqrt(Math.max(0, sumSq / count - mean * mean)) / mean };
}
