import type * as OpenCV from '@techstark/opencv-js';
import type { Box } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { type MatScope, withMats } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import { inkPolarities } from './ink-polarities.ts';
import type { ProbabilityMap } from './text-detector-network.ts';

/**
 * What the verifier measures on each candidate line, beside the network's own score: the seed's
 * transforms (the crop thresholded light-on-dark and dark-on-light, and cut into regions by a
 * watershed) read as glyph evidence. Names are the model's feature names (models/text-line-verifier.json).
 */
export const LINE_EVIDENCE_NAMES = [
  'dbScore',
  'mapPeak',
  'mapFill',
  'inkContrast',
  'strokeEvenness',
  'strokeToHeight',
  'glyphCount',
  'glyphAlignment',
  'glyphHeightShare',
  'inkShare',
  'watershedRegions',
  'aspect',
  'relativeHeight',
] as const;

export type LineEvidence = Record<(typeof LINE_EVIDENCE_NAMES)[number], number>;

/** Crops are measured at this height (px), so features do not depend on the text's size. */
const CROP_HEIGHT = 32;
/** Longest crop measured, in crop heights; longer lines are measured on their first part. */
const MAX_CROP_ASPECT = 24;
/** mapFill counts the map pixels above this probability: DB's own binarisation threshold (PADDLE_DB_OPTIONS). */
const MAP_FILL_PROBABILITY = 0.3;
/**
 * Components between these shares of the crop height are glyph-like (alignment, height share):
 * smaller ones are punctuation and accents, ones as tall as the crop are bars, plates and frames.
 */
const GLYPH_HEIGHT_SHARE = { min: 0.3, max: 0.98 } as const;
/**
 * Ink components smaller than this (px at CROP_HEIGHT) are specks, and ones wider than this many crop
 * heights span the crop (plates, frames, textures): neither is a glyph.
 */
const COMPONENT_LIMITS = { minArea: 4, maxWidthInHeights: 3 } as const;
/** Watershed basins of fewer pixels than this are not counted. */
const MIN_BASIN_PIXELS = 6;
/**
 * glyphAlignment falls linearly to 0 as the spread of the glyph bottoms (standard deviation, in crop
 * heights) grows to 1 / this, a quarter of the crop height. A scale of the feature, fixed when the
 * verifier was fitted (fit:text on synth:text), so changing it means refitting; not a decision
 * threshold, so it has no margin.
 */
const BASELINE_SPREAD_SCALE = 4;
/**
 * Stroke cores, the watershed's ink markers: ink pixels whose distance to the background is over
 * this. OpenCV's 3×3 L2 distance gives a pixel next to the background 0.955 and every other ink
 * pixel 1.37 or more, so this takes the ink less its outer layer (any value in (0.955, 1.37) would).
 */
const CORE_DISTANCE = 0.99;

/**
 * Measures one candidate line (image px) on the working image and the network's map.
 * OpenCV must be loaded.
 */
export function lineEvidence(image: RgbImage, map: ProbabilityMap, line: Box & { score: number }): LineEvidence {
  const mapStats = mapEvidence(map, line);
  const glyphs = withMats((scope) => glyphEvidence(scope, image, line));
  return {
    dbScore: line.score,
    ...mapStats,
    ...glyphs,
    aspect: Math.log(Math.max(1, line.w) / Math.max(1, line.h)),
    // The line's height at the network's scale (every image reaches it at one long side): cropping
    // an image to a banner around its title leaves it as it was, where line.h / image.height grew
    // without bound as the crop narrowed and the verifier, which never saw such shares, rejected
    // the title (BENCHMARKS.md, Text regions, branch `bannertext`). The same value as before on
    // portrait and square images.
    relativeHeight: line.h / Math.max(image.width, image.height),
  };
}

/** Peak probability and the share of the box DB marks as text. */
export function mapEvidence(map: ProbabilityMap, line: Box): { mapPeak: number; mapFill: number } {
  const x0 = Math.max(0, Math.floor(line.x / map.scaleX));
  const y0 = Math.max(0, Math.floor(line.y / map.scaleY));
  const x1 = Math.min(map.width, Math.ceil((line.x + line.w) / map.scaleX));
  const y1 = Math.min(map.height, Math.ceil((line.y + line.h) / map.scaleY));
  let peak = 0;
  let fill = 0;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const p = map.data[y * map.width + x]!;
      if (p > peak) peak = p;
      if (p > MAP_FILL_PROBABILITY) fill++;
      n++;
    }
  }
  return { mapPeak: peak, mapFill: n ? fill / n : 0 };
}

type GlyphEvidence = Omit<LineEvidence, 'dbScore' | 'mapPeak' | 'mapFill' | 'aspect' | 'relativeHeight'>;

const NO_GLYPHS: GlyphEvidence = {
  inkContrast: 0,
  strokeEvenness: 0,
  strokeToHeight: 0,
  glyphCount: 0,
  glyphAlignment: 0,
  glyphHeightShare: 0,
  inkShare: 0,
  watershedRegions: 0,
};

/**
 * The line's gray crop scaled to CROP_HEIGHT, Otsu-thresholded both ways; the polarity whose ink
 * forms the better row of glyphs is kept and measured (contrast, stroke widths, components,
 * watershed regions).
 */
function glyphEvidence(scope: MatScope, image: RgbImage, line: Box): GlyphEvidence {
  const c = cv();
  const x = Math.max(0, Math.floor(line.x));
  const y = Math.max(0, Math.floor(line.y));
  const w = Math.min(image.width - x, Math.ceil(line.w));
  const h = Math.min(image.height - y, Math.ceil(line.h));
  if (w < 2 || h < 2) return NO_GLYPHS;
  const visible = Math.min(w, Math.round(h * MAX_CROP_ASPECT));
  const rgb = scope.track(new c.Mat(h, visible, c.CV_8UC3));
  const bytes = rgb.data;
  for (let row = 0; row < h; row++) {
    const from = ((y + row) * image.width + x) * 3;
    bytes.set(image.data.subarray(from, from + visible * 3), row * visible * 3);
  }
  const gray = scope.track(new c.Mat());
  c.cvtColor(rgb, gray, c.COLOR_RGB2GRAY);
  const k = CROP_HEIGHT / h;
  const scaled = scope.track(new c.Mat());
  c.resize(gray, scaled, new c.Size(Math.max(2, Math.round(visible * k)), CROP_HEIGHT), 0, 0, k < 1 ? c.INTER_AREA : c.INTER_LINEAR);
  const { dark, light } = inkPolarities(scope, scaled);
  const candidates = [dark, light].map((ink) => measureInk(scope, scaled, ink));
  return candidates[0]!.glyphAlignment >= candidates[1]!.glyphAlignment ? candidates[0]! : candidates[1]!;
}

function measureInk(scope: MatScope, gray: OpenCV.Mat, ink: OpenCV.Mat): GlyphEvidence {
  const c = cv();
  const height = gray.rows;
  const width = gray.cols;
  const inkPixels = c.countNonZero(ink);
  const inkShare = inkPixels / (width * height);
  if (inkPixels === 0 || inkPixels === width * height) return NO_GLYPHS;
  const background = scope.track(new c.Mat());
  c.bitwise_not(ink, background);
  const inkMean = c.mean(gray, ink)[0]!;
  const backgroundMean = c.mean(gray, background)[0]!;

  const labels = scope.track(new c.Mat());
  const stats = scope.track(new c.Mat());
  const centroids = scope.track(new c.Mat());
  const n = c.connectedComponentsWithStats(ink, labels, stats, centroids, 8, c.CV_32S);
  const glyphs: { top: number; bottom: number; h: number }[] = [];
  for (let i = 1; i < n; i++) {
    const top = stats.intAt(i, c.CC_STAT_TOP);
    const h = stats.intAt(i, c.CC_STAT_HEIGHT);
    const area = stats.intAt(i, c.CC_STAT_AREA);
    if (area < COMPONENT_LIMITS.minArea || stats.intAt(i, c.CC_STAT_WIDTH) > COMPONENT_LIMITS.maxWidthInHeights * height) continue;
    glyphs.push({ top, bottom: top + h, h });
  }
  const glyphLike = glyphs.filter((g) => g.h >= GLYPH_HEIGHT_SHARE.min * height && g.h <= GLYPH_HEIGHT_SHARE.max * height);
  const bottoms = glyphLike.map((g) => g.bottom / height);
  const meanBottom = bottoms.reduce((s, v) => s + v, 0) / Math.max(1, bottoms.length);
  const spread = Math.sqrt(bottoms.reduce((s, v) => s + (v - meanBottom) ** 2, 0) / Math.max(1, bottoms.length));

  const distance = scope.track(new c.Mat());
  c.distanceTransform(ink, distance, c.DIST_L2, 3);
  const strokes = ridgeValues(distance);
  const strokeMean = strokes.reduce((s, v) => s + v, 0) / Math.max(1, strokes.length);
  const strokeSd = Math.sqrt(strokes.reduce((s, v) => s + (v - strokeMean) ** 2, 0) / Math.max(1, strokes.length));

  return {
    inkContrast: Math.abs(inkMean - backgroundMean) / 255,
    strokeEvenness: strokes.length ? 1 - Math.min(1, strokeSd / Math.max(strokeMean, 1e-6)) : 0,
    strokeToHeight: (2 * strokeMean) / height,
    glyphCount: Math.log1p((glyphLike.length * height) / width),
    glyphAlignment: glyphLike.length ? (glyphLike.length / Math.max(1, glyphs.length)) * (1 - Math.min(1, BASELINE_SPREAD_SCALE * spread)) : 0,
    glyphHeightShare: glyphLike.reduce((s, g) => s + g.h, 0) / Math.max(1, glyphLike.length) / height,
    inkShare,
    watershedRegions: watershedRegions(scope, gray, ink, distance),
  };
}

/** Distance-transform values on ridge pixels (local maxima along a row or column): half stroke widths. */
function ridgeValues(distance: OpenCV.Mat): number[] {
  const d = distance.data32F;
  const w = distance.cols;
  const h = distance.rows;
  const out: number[] = [];
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const v = d[y * w + x]!;
      if (v < 1) continue;
      const rowPeak = v >= d[y * w + x - 1]! && v >= d[y * w + x + 1]!;
      const colPeak = v >= d[(y - 1) * w + x]! && v >= d[(y + 1) * w + x]!;
      if (rowPeak || colPeak) out.push(v);
    }
  }
  return out;
}

/**
 * The seed's watershed: markers at the ink's stroke cores and in the sure background, flooded over
 * the crop's gradient; glyph rows break into many small basins per crop height, smooth texture into
 * few large ones. Returns basins per crop-height of width (log).
 */
function watershedRegions(scope: MatScope, gray: OpenCV.Mat, ink: OpenCV.Mat, distance: OpenCV.Mat): number {
  const c = cv();
  const cores = scope.track(new c.Mat());
  c.threshold(distance, cores, CORE_DISTANCE, 255, c.THRESH_BINARY);
  const cores8 = scope.track(new c.Mat());
  cores.convertTo(cores8, c.CV_8U);
  const markers = scope.track(new c.Mat());
  const count = c.connectedComponents(cores8, markers, 8, c.CV_32S);
  const sureBackground = scope.track(new c.Mat());
  c.dilate(ink, sureBackground, scope.track(c.Mat.ones(3, 3, c.CV_8U)));
  const m = markers.data32S;
  const bg = sureBackground.data;
  for (let i = 0; i < m.length; i++) if (m[i] === 0 && bg[i] === 0) m[i] = count;
  const colour = scope.track(new c.Mat());
  c.cvtColor(gray, colour, c.COLOR_GRAY2RGB);
  c.watershed(colour, markers);
  const sizes = new Map<number, number>();
  for (let i = 0; i < m.length; i++) if (m[i]! > 0 && m[i]! < count) sizes.set(m[i]!, (sizes.get(m[i]!) ?? 0) + 1);
  const height = gray.rows;
  const basins = [...sizes.values()].filter((s) => s >= MIN_BASIN_PIXELS).length;
  return Math.log1p((basins * height) / gray.cols);
}
