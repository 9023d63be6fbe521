import { type GrayPlane, boxMean } from './gray-plane.ts';
import type { GlyphLine } from './line-grouping.ts';
import type { GlyphCandidate } from './text-candidates.ts';

/**
 * Measured features of a candidate line, in the order the classifier's weights expect. Every one is
 * scale-free (ratios, variations, logs) so the same weights serve any image size.
 */
export const LINE_FEATURE_NAMES = [
  'logGlyphs',
  'heightVariation',
  'strokeWidthVariation',
  'meanStrokeEvenness',
  'strokeToHeight',
  'meanFill',
  'baselineSpread',
  'fittedBaselineSpread',
  'gapVariation',
  'meanGap',
  'logAspect',
  'meanContrast',
  'inkCoverage',
  'edgeDensity',
  'edgeContrast',
  'relativeHeight',
  'lightText',
  'singleComponent',
] as const;

export type LineFeatureName = (typeof LINE_FEATURE_NAMES)[number];

/** `gradient` is the morphological gradient of the working grey image (edge strength per pixel). */
export function lineFeatures(line: GlyphLine, gradient: GrayPlane, shortSide: number): number[] {
  const glyphs = line.glyphs;
  const heights = glyphs.map((g) => g.h);
  const medianHeight = median(heights);
  const strokes = glyphs.map((g) => g.strokeWidth);
  const gaps: number[] = [];
  for (let i = 1; i < glyphs.length; i++) gaps.push(glyphs[i]!.x - (glyphs[i - 1]!.x + glyphs[i - 1]!.w));
  const inkArea = glyphs.reduce((s, g) => s + g.area, 0);
  const inside = boxMean(gradient, line.x, line.y, line.x + line.w, line.y + line.h);
  const margin = Math.max(2, line.h / 2);
  const outer = boxMean(gradient, line.x - margin, line.y - margin, line.x + line.w + margin, line.y + line.h + margin);
  const first = glyphs[0]!;
  const features: Record<LineFeatureName, number> = {
    logGlyphs: Math.log(glyphs.length),
    heightVariation: variation(heights),
    strokeWidthVariation: variation(strokes),
    meanStrokeEvenness: mean(glyphs.map((g) => g.strokeVariation)),
    strokeToHeight: mean(strokes) / medianHeight,
    meanFill: mean(glyphs.map((g) => g.area / (g.w * g.h))),
    // Tops align for capitals, bottoms for lowercase with few descenders: the tighter edge counts.
    baselineSpread: Math.min(spread(glyphs.map((g) => g.y)), spread(glyphs.map((g) => g.y + g.h))) / medianHeight,
    // The same about a fitted straight line, so a slightly tilted title still aligns.
    fittedBaselineSpread: Math.min(lineFitResidual(glyphs, (g) => g.y), lineFitResidual(glyphs, (g) => g.y + g.h)) / medianHeight,
    gapVariation: gaps.length > 1 ? Math.min(3, spread(gaps) / medianHeight) : 0,
    meanGap: gaps.length > 0 ? mean(gaps) / medianHeight : 0,
    logAspect: Math.log(line.w / line.h),
    meanContrast: mean(glyphs.map((g) => g.contrast)),
    inkCoverage: inkArea / (line.w * line.h),
    edgeDensity: inside / 255,
    edgeContrast: outer > 0 ? Math.min(4, inside / outer) : 1,
    relativeHeight: line.h / shortSide,
    lightText: first.transform.endsWith('-light') ? 1 : 0,
    singleComponent: glyphs.length === 1 ? 1 : 0,
  };
  return LINE_FEATURE_NAMES.map((name) => features[name]);
}

/** Root-mean-square distance of `edge(g)` from the least-squares straight line through the glyphs. */
function lineFitResidual(glyphs: GlyphCandidate[], edge: (g: GlyphCandidate) => number): number {
  const xs = glyphs.map((g) => g.x + g.w / 2);
  const ys = glyphs.map(edge);
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
  });
  const slope = sxx > 0 ? sxy / sxx : 0;
  return Math.sqrt(mean(ys.map((y, i) => (y - my - slope * (xs[i]! - mx)) ** 2)));
}

function mean(values: number[]): number {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : 0;
}

function spread(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
}

function variation(values: number[]): number {
  const m = mean(values);
  return m > 0 ? spread(values) / m : 0;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? 0;
}
