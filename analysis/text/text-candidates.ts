import type { Box } from '../geometry/box.ts';
import { type GrayPlane, boxSum } from './gray-plane.ts';
import { DistanceScratch, componentDistance } from './chamfer-distance.ts';
import type { InkComponents } from './ink-components.ts';
import { type InkRuns, contrastRuns } from './ink-runs.ts';
import { strokeStats } from './stroke-width.ts';
import type { TextPlanes } from './text-planes.ts';

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

/** Grey levels a pixel must stand above (or below) its local mean to count as ink: ignores grain. */
const ADAPTIVE_OFFSET = 10;

/** The ink of every transform: pixels standing out from their local mean by more than the offset. */
export function binaryRuns(planes: TextPlanes): Record<BinaryTransform, InkRuns> {
  const { gray, localSums, localWindow, width, height } = planes;
  const { light, dark } = contrastRuns(gray.data, localSums, localWindow * localWindow, width, height, ADAPTIVE_OFFSET, ADAPTIVE_OFFSET - 1);
  return { 'adaptive-light': light, 'adaptive-dark': dark };
}

/** A glyph-sized component of one binarisation, before it is measured. */
export interface GlyphShape extends Box {
  /** Ink pixels. */
  area: number;
  /** Its index in the map's components. */
  component: number;
}

/** The glyph-sized components of one binarisation, in the order OpenCV's labelling listed them. */
export function glyphShapes(components: InkComponents, limits: GlyphLimits): GlyphShape[] {
  const shapes: GlyphShape[] = [];
  for (let k = 0; k < components.count; k++) {
    const w = components.x1[k]! - components.x0[k]!;
    const h = components.y1[k]! - components.y0[k]!;
    const area = components.area[k]!;
    if (h < limits.minHeight || h > limits.maxHeight || area < limits.minHeight * 2) continue;
    if (w > 12 * h || h > 12 * w) continue;
    const fill = area / (w * h);
    if (fill < 0.08 || fill > 0.95) continue;
    shapes.push({ x: components.x0[k]!, y: components.y0[k]!, w, h, area, component: k });
  }
  // The committed model was trained on glyphs in this order, and later stable sorts break ties by it.
  return shapes.sort((a, b) => components.blockOrder[a.component]! - components.blockOrder[b.component]!);
}

/** Stroke and contrast measures of each shape: what tells a glyph from clutter. */
export function measureGlyphs(
  ink: InkRuns,
  components: InkComponents,
  shapes: GlyphShape[],
  plane: GrayPlane,
  transform: BinaryTransform,
): GlyphCandidate[] {
  const scratch = new DistanceScratch();
  return shapes.map(({ x, y, w, h, area, component }) => {
    const stroke = strokeStats(ink, components, component, componentDistance(ink, components, component, scratch));
    const inkTotal = inkSum(ink, components, component, plane);
    const rest = w * h - area;
    const boxTotal = boxSum(plane, x, y, x + w, y + h);
    const background = rest > 0 ? (boxTotal - inkTotal) / rest : boxTotal / (w * h);
    return {
      x,
      y,
      w,
      h,
      area,
      strokeWidth: stroke.width,
      strokeVariation: stroke.variation,
      contrast: Math.abs(inkTotal / area - background) / 255,
      ink: inkTotal / area,
      transform,
    };
  });
}

/** Sum of the grey values under the pixels of component k: each run's row sum, from the integral. */
function inkSum(ink: InkRuns, components: InkComponents, k: number, plane: GrayPlane): number {
  const t = plane.integral;
  const s = plane.width + 1;
  let sum = 0;
  for (let i = components.runStart[k]!, end = components.runStart[k + 1]!; i < end; i++) {
    const run = components.runs[i]!;
    const above = components.runRow[run]! * s;
    const below = above + s;
    const a = ink.start[run]!;
    const b = ink.end[run]!;
    sum += t[below + b]! - t[above + b]! - t[below + a]! + t[above + a]!;
  }
  return sum;
}
