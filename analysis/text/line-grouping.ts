import type { Box } from '../geometry/box.ts';
import type { GlyphCandidate } from './text-candidates.ts';

/** Glyphs of one binarisation chained left to right into a line of text (or of text-like clutter). */
export interface GlyphLine extends Box {
  glyphs: GlyphCandidate[];
}

export interface LineGroupingOptions {
  /** Largest ratio of two neighbouring glyphs' heights (capitals next to x-height letters). Default 2.0. */
  maxHeightRatio?: number;
  /** Least vertical overlap of neighbours, as a share of the shorter one. Default 0.5. */
  minVerticalOverlap?: number;
  /** Widest gap between neighbours, in taller-glyph heights: letter-spacing and word spaces. Default 1.0. */
  maxGap?: number;
  /** Largest ratio of neighbours' stroke widths. Default 2.2. */
  maxStrokeRatio?: number;
  /** Largest difference of neighbours' mean ink grey (0..255): one line is drawn in one colour. Default 48. */
  maxInkDifference?: number;
  /** A lone component counts as a line (touching glyphs) only when this many times wider than high. Default 1.5. */
  minSingleAspect?: number;
}

export const DEFAULT_LINE_GROUPING: Required<LineGroupingOptions> = {
  maxHeightRatio: 2.0,
  minVerticalOverlap: 0.5,
  maxGap: 1.0,
  maxStrokeRatio: 2.2,
  minSingleAspect: 1.5,
  maxInkDifference: 48,
};

/**
 * Chains glyphs left to right: each glyph links to its best right-hand neighbour and each glyph
 * accepts only its best left-hand one, so chains stay one glyph high instead of spreading through
 * texture the way linking every compatible pair would.
 */
export function groupLines(glyphs: GlyphCandidate[], options: LineGroupingOptions = {}): GlyphLine[] {
  const opts = { ...DEFAULT_LINE_GROUPING, ...options };
  const sorted = [...glyphs].sort((a, b) => a.x - b.x);
  const right = new Int32Array(sorted.length).fill(-1);
  const rightCost = new Float64Array(sorted.length).fill(Infinity);
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!;
    // Neighbours are at most maxHeightRatio × a.h tall, so nothing beyond this reach can link.
    const reach = a.x + a.w + opts.maxGap * opts.maxHeightRatio * a.h;
    for (let j = i + 1; j < sorted.length && sorted[j]!.x <= reach; j++) {
      const cost = linkCost(a, sorted[j]!, opts);
      if (cost < rightCost[i]!) {
        rightCost[i] = cost;
        right[i] = j;
      }
    }
  }
  const left = new Int32Array(sorted.length).fill(-1);
  for (let i = 0; i < sorted.length; i++) {
    const j = right[i]!;
    if (j >= 0 && (left[j]! < 0 || rightCost[i]! < rightCost[left[j]!]!)) left[j] = i;
  }
  const lines: GlyphLine[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (left[i]! >= 0) continue;
    const chain: GlyphCandidate[] = [];
    for (let k = i; k >= 0; k = left[right[k]!] === k ? right[k]! : -1) chain.push(sorted[k]!);
    const first = chain[0]!;
    if (chain.length === 1 && first.w < opts.minSingleAspect * first.h) continue;
    lines.push({ ...enclosingBox(chain), glyphs: chain });
  }
  return lines;
}

/**
 * The boxes (in the order groupLines would get them) that could end up in one of its lines: a lone
 * box wide enough to be a line by itself, or one placed (height, overlap, gap) to link with another.
 * The rest can neither form nor join a chain, so dropping them before measuring changes no line.
 */
export function mayFormLines<T extends Box>(boxes: T[], options: LineGroupingOptions = {}): T[] {
  const opts = { ...DEFAULT_LINE_GROUPING, ...options };
  const order = boxes.map((_, i) => i).sort((a, b) => boxes[a]!.x - boxes[b]!.x);
  const linked = new Uint8Array(boxes.length);
  for (let n = 0; n < order.length; n++) {
    const a = boxes[order[n]!]!;
    if (a.w >= opts.minSingleAspect * a.h) linked[order[n]!] = 1;
    const reach = a.x + a.w + opts.maxGap * opts.maxHeightRatio * a.h;
    for (let m = n + 1; m < order.length && boxes[order[m]!]!.x <= reach; m++) {
      if (!placedAsNeighbours(a, boxes[order[m]!]!, opts)) continue;
      linked[order[n]!] = 1;
      linked[order[m]!] = 1;
    }
  }
  return boxes.filter((_, i) => linked[i]);
}

/** How poorly `b` continues a line after `a` (Infinity when it cannot): gap and misalignment. */
function linkCost(a: GlyphCandidate, b: GlyphCandidate, opts: Required<LineGroupingOptions>): number {
  if (!areNeighbours(a, b, opts)) return Infinity;
  const tall = Math.max(a.h, b.h);
  const gap = Math.max(0, b.x - (a.x + a.w)) / tall;
  const centreOffset = Math.abs(a.y + a.h / 2 - (b.y + b.h / 2)) / tall;
  return gap + 2 * centreOffset + Math.abs(a.ink - b.ink) / 64;
}

function areNeighbours(a: GlyphCandidate, b: GlyphCandidate, opts: Required<LineGroupingOptions>): boolean {
  if (!placedAsNeighbours(a, b, opts)) return false;
  if (Math.abs(a.ink - b.ink) > opts.maxInkDifference) return false;
  if (a.strokeWidth > 0 && b.strokeWidth > 0) {
    const ratio = Math.max(a.strokeWidth, b.strokeWidth) / Math.min(a.strokeWidth, b.strokeWidth);
    if (ratio > opts.maxStrokeRatio) return false;
  }
  return true;
}

/** Whether `b`'s box is where a next glyph after `a` can be: similar height, level, close. */
function placedAsNeighbours(a: Box, b: Box, opts: Required<LineGroupingOptions>): boolean {
  const tall = Math.max(a.h, b.h);
  const short = Math.min(a.h, b.h);
  if (tall > opts.maxHeightRatio * short) return false;
  const overlap = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (overlap < opts.minVerticalOverlap * short) return false;
  const gap = b.x - (a.x + a.w);
  return gap <= opts.maxGap * tall && gap >= -0.5 * Math.min(a.w, b.w);
}

function enclosingBox(boxes: Box[]): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const b of boxes) {
    x0 = Math.min(x0, b.x);
    y0 = Math.min(y0, b.y);
    x1 = Math.max(x1, b.x + b.w);
    y1 = Math.max(y1, b.y + b.h);
  }
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}
