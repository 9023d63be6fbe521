/**
 * Stroke width of each connected component, measured on the distance transform: along a stroke's
 * medial ridge the distance to the background is half the stroke width. Printed glyphs keep one
 * pen width, so the ridge values of a letter vary little; foliage, texture and object edges vary a lot.
 */
export interface StrokeStats {
  /** Mean stroke width (2 × mean ridge distance) per label; 0 where a label has no ridge. */
  width: Float32Array;
  /** Coefficient of variation of the ridge distances per label (0 = perfectly even stroke). */
  variation: Float32Array;
}

/**
 * `labels` are component labels (0 = background), `distance` the L2 distance transform of the same
 * binary image, both row-major `width` × `height`. A ridge pixel is one whose distance is no less
 * than its four neighbours'.
 */
export function strokeStats(labels: Int32Array, distance: Float32Array, width: number, height: number, labelCount: number): StrokeStats {
  const sum = new Float64Array(labelCount);
  const sumSq = new Float64Array(labelCount);
  const count = new Uint32Array(labelCount);
  for (let y = 1; y < height - 1; y++) {
    const row = y * width;
    for (let x = 1; x < width - 1; x++) {
      const i = row + x;
      const label = labels[i]!;
      if (label === 0) continue;
      const d = distance[i]!;
      if (d < distance[i - 1]! || d < distance[i + 1]! || d < distance[i - width]! || d < distance[i + width]!) continue;
      sum[label] = sum[label]! + d;
      sumSq[label] = sumSq[label]! + d * d;
      count[label]!++;
    }
  }
  const widthOut = new Float32Array(labelCount);
  const variation = new Float32Array(labelCount);
  for (let label = 1; label < labelCount; label++) {
    const n = count[label]!;
    if (n === 0) continue;
    const mean = sum[label]! / n;
    const variance = Math.max(0, sumSq[label]! / n - mean * mean);
    widthOut[label] = 2 * mean;
    variation[label] = Math.sqrt(variance) / mean;
  }
  return { width: widthOut, variation };
}
