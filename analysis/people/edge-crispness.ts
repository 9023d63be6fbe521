import type * as OpenCV from '@techstark/opencv-js';
import { type Box, toPixelBox } from '../geometry/box.ts';

/** Intensity range below which a region counts as this much contrast, so flat regions do not divide by ~0. */
const MIN_RANGE = 8;
/**
 * Percentile of the gradient magnitude read as "the sharpest edges": a face's eyes, lids and
 * hairline are a small share of its pixels, so the median would read its smooth skin. Other
 * percentiles not measured.
 */
const EDGE_PERCENTILE = 0.95;
/** Percentiles that bound the region's intensity range, so a few specular or noisy pixels do not stretch it. Not measured against others. */
const RANGE_PERCENTILES = { low: 0.02, high: 0.98 } as const;

/**
 * How crisp the sharpest edges of `box` are in the grey working image, at its own pixel scale: the
 * 95th percentile of the gradient magnitude over the region's intensity range (2nd to 98th
 * percentile). An edge blurred by a Gaussian of σ px is about 0.4/σ; the eyes, lids and hairline of a
 * face in focus measure 0.1-0.3, a face under a background blur of σ ≥ 6 px under 0.05. A face filling
 * the frame can measure under 0.1 in focus: its edges are a smaller share of its pixels.
 * Unlike regionSharpness, which samples every region at one size, this measures blur in pixels, so
 * a large face under a strong blur does not pass for a sharp one.
 */
export function edgeCrispness(gray: OpenCV.Mat, box: Box): number {
  const r = toPixelBox(box, { width: gray.cols, height: gray.rows });
  const x0 = Math.max(1, r.x);
  const y0 = Math.max(1, r.y);
  const x1 = Math.min(gray.cols - 1, r.x + r.w);
  const y1 = Math.min(gray.rows - 1, r.y + r.h);
  if (x1 <= x0 || y1 <= y0) return 0;
  const data = gray.data;
  const stride = gray.cols;
  // Gradients are central differences, at most 255·√2/2 ≈ 181; quarter-level bins are fine enough.
  const gradients = new Uint32Array(4 * 182);
  const intensities = new Uint32Array(256);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * stride + x;
      const gx = data[i + 1]! - data[i - 1]!;
      const gy = data[i + stride]! - data[i - stride]!;
      gradients[GRADIENT_BIN[gx * gx + gy * gy]!]!++;
      intensities[data[i]!]!++;
    }
  }
  const count = (x1 - x0) * (y1 - y0);
  const range = Math.max(MIN_RANGE, percentile(intensities, count, RANGE_PERCENTILES.high) - percentile(intensities, count, RANGE_PERCENTILES.low));
  return percentile(gradients, count, EDGE_PERCENTILE) / 4 / range;
}

/**
 * The quarter-level bin of each squared gradient magnitude gx² + gy² (gx, gy in -255..255), so the
 * loop over a region's pixels takes no square root. Integer squares never land within 1e-4 of a
 * bin's rounding edge, so this gives the bins of Math.round(2 · Math.hypot(gx, gy)) exactly.
 */
const GRADIENT_BIN = Uint16Array.from({ length: 2 * 255 * 255 + 1 }, (_, n) => Math.round(2 * Math.sqrt(n)));

/** The bin at which the running count of a histogram reaches share `q` of `count`. */
function percentile(histogram: Uint32Array, count: number, q: number): number {
  const target = q * count;
  let seen = 0;
  for (let bin = 0; bin < histogram.length; bin++) {
    seen += histogram[bin]!;
    if (seen >= target) return bin;
  }
  return histogram.length - 1;
}
