import type * as OpenCV from '@techstark/opencv-js';
import type { Box } from '../geometry/box.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import { type GrayPlane, boxSum } from './gray-plane.ts';
import { strokeStats } from './stroke-width.ts';

/**
 * The binarisations glyphs are looked for in: pixels standing out from their local mean, for light
 * text on dark and dark text on light. Global Otsu maps were tried as well; in cross-validation they
 * added more false lines (foliage, sky edges) than titles and cost a third of the time, so they went.
 */
export const BINARY_TRANSFORMS = ['adaptive-light', 'adaptive-dark'] as const;
export type BinaryTransform = (typeof BINARY_TRANSFORMS)[number];

/** One connected component of a binary map that could be a glyph (or several touching glyphs). */
export interface GlyphCandidate extends Box {
  /** Ink pixels. */
  area: number;
  /** Mean stroke width in pixels. */
  strokeWidth: number;
  /** Coefficient of variation of the stroke width along the component's ridge. */
  strokeVariation: number;
  /** |mean ink grey − mean grey of the rest of its box| / 255. */
  contrast: number;
  /** Mean grey of the ink, 0..255: glyphs of one line share it. */
  ink: number;
  transform: BinaryTransform;
}

export interface GlyphLimits {
  /** Smallest glyph height in working pixels. */
  minHeight: number;
  /** Largest glyph height in working pixels. */
  maxHeight: number;
}

/** A grey image and its local mean, shared by all binarisations of one image. */
export interface ThresholdSource {
  gray: OpenCV.Mat;
  localMean: OpenCV.Mat;
}

/**
 * The local mean runs over a window spanning a few glyph heights of subtitle-sized text; it is
 * computed once and compared both ways instead of running adaptiveThreshold per polarity.
 */
export function thresholdSource(scope: MatScope, gray: OpenCV.Mat): ThresholdSource {
  const c = cv();
  const block = Math.max(15, 2 * Math.round(Math.min(gray.cols, gray.rows) / 40) + 1);
  const localMean = scope.track(new c.Mat());
  c.blur(gray, localMean, new c.Size(block, block), new c.Point(-1, -1), c.BORDER_REPLICATE);
  return { gray, localMean };
}

/** Grey levels a pixel must stand above (or below) its local mean to count as ink: ignores grain. */
const ADAPTIVE_OFFSET = 10;

/** The binary map of `transform` (8-bit, 255 = ink). */
export function binaryMap(scope: MatScope, source: ThresholdSource, transform: BinaryTransform): OpenCV.Mat {
  const c = cv();
  const out = scope.track(new c.Mat());
  const dark = transform.endsWith('-dark');
  // Saturating 8-bit difference: how far each pixel stands out from its neighbourhood, one way.
  const difference = scope.track(new c.Mat());
  if (dark) c.subtract(source.localMean, source.gray, difference);
  else c.subtract(source.gray, source.localMean, difference);
  c.threshold(difference, out, dark ? ADAPTIVE_OFFSET - 1 : ADAPTIVE_OFFSET, 255, c.THRESH_BINARY);
  return out;
}

/** Connected components of `binary` that are glyph-sized, with their stroke and contrast measures. */
export function glyphCandidates(
  scope: MatScope,
  binary: OpenCV.Mat,
  plane: GrayPlane,
  transform: BinaryTransform,
  limits: GlyphLimits,
): GlyphCandidate[] {
  const c = cv();
  const labels = scope.track(new c.Mat());
  const stats = scope.track(new c.Mat());
  const centroids = scope.track(new c.Mat());
  const count = c.connectedComponentsWithStats(binary, labels, stats, centroids, 8, c.CV_32S);
  const statData = stats.data32S;
  const boxes: (Box & { label: number; area: number })[] = [];
  for (let label = 1; label < count; label++) {
    const x = statData[label * 5]!;
    const y = statData[label * 5 + 1]!;
    const w = statData[label * 5 + 2]!;
    const h = statData[label * 5 + 3]!;
    const area = statData[label * 5 + 4]!;
    if (h < limits.minHeight || h > limits.maxHeight || area < limits.minHeight * 2) continue;
    if (w > 12 * h || h > 12 * w) continue;
    const fill = area / (w * h);
    if (fill < 0.08 || fill > 0.95) continue;
    boxes.push({ x, y, w, h, label, area });
  }
  if (boxes.length === 0) return [];
  const distance = scope.track(new c.Mat());
  c.distanceTransform(binary, distance, c.DIST_L2, 3);
  // Views into WASM memory: valid until the next OpenCV allocation, and none happens below.
  const labelData = labels.data32S;
  const distanceData = distance.data32F;
  return boxes.map(({ label, area, ...box }) => {
    const stroke = strokeStats(labelData, distanceData, binary.cols, binary.rows, label, box);
    const ink = inkSum(labelData, plane.data, binary.cols, label, box);
    const rest = box.w * box.h - area;
    const boxTotal = boxSum(plane, box.x, box.y, box.x + box.w, box.y + box.h);
    const background = rest > 0 ? (boxTotal - ink) / rest : boxTotal / (box.w * box.h);
    return {
      ...box,
      area,
      strokeWidth: stroke.width,
      strokeVariation: stroke.variation,
      contrast: Math.abs(ink / area - background) / 255,
      ink: ink / area,
      transform,
    };
  });
}

/** Sum of the grey values under the pixels of `label` inside its box. */
function inkSum(labels: Int32Array, grey: Uint8Array, stride: number, label: number, box: Box): number {
  let sum = 0;
  for (let y = box.y; y < box.y + box.h; y++) {
    for (let i = y * stride + box.x, end = i + box.w; i < end; i++) if (labels[i] === label) sum += grey[i]!;
  }
  return sum;
}
