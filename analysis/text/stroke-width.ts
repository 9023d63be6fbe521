import type { ComponentDistance } from './chamfer-distance.ts';
import type { InkComponents } from './ink-components.ts';
import type { InkRuns } from './ink-runs.ts';

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
 * Stroke statistics of component k from its distance transform. A ridge pixel is one whose distance
 * is no less than its four neighbours'; pixels on the image edge are left out, their neighbours being
 * unknown. Pixels are summed in raster order.
 */
export function strokeStats(ink: InkRuns, components: InkComponents, k: number, distance: ComponentDistance): StrokeStats {
  const { values, left, top, stride } = distance;
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  for (let n = components.runStart[k]!, last = components.runStart[k + 1]!; n < last; n++) {
    const run = components.runs[n]!;
    const y = components.runRow[run]!;
    if (y === 0 || y === ink.height - 1) continue;
    const row = (y - top) * stride - left;
    for (let i = row + Math.max(1, ink.start[run]!), end = row + Math.min(ink.width - 1, ink.end[run]!); i < end; i++) {
      const d = values[i]!;
      if (d < values[i - 1]! || d < values[i + 1]! || d < values[i - stride]! || d < values[i + stride]!) continue;
      sum += d;
      sumSq += d * d;
      count++;
    }
  }
  if (count === 0) return { width: 0, variation: 0 };
  const mean = sum / count;
  return { width: 2 * mean, variation: Math.sqrt(Math.max(0, sumSq / count - mean * mean)) / mean };
}
