import type { Box } from '../geometry/box.ts';

/** When two word boxes are one line. Fitted on `npm run synth:text` output (see README, Text). */
export interface LineJoiningOptions {
  /** Shared height of the two boxes' rows, as a share of the shorter box, at least. */
  minRowOverlap: number;
  /** Taller box's height over the shorter one's, at most. */
  maxHeightRatio: number;
  /** Horizontal gap between the boxes, in the shorter box's heights, at most. */
  maxGap: number;
}

/**
 * Measured on `npm run synth:text` (300 images, candidate stage at 736 px): line Hmean 0.842 / 0.845 /
 * 0.846 / 0.849 for a largest gap of 0.8 / 1.2 / 1.6 / 2.2 heights — flat, so 1.6 sits mid-plateau,
 * away from splitting letter-spaced titles (gaps up to ~1.2 heights there) and from joining blocks
 * set side by side. Rows of one line overlap by ≥ 0.8 of the shorter ink box, stacked lines not at
 * all: 0.55 sits between. A capital-height word beside an x-height one is ~1.5 times taller: 1.8.
 */
export const DEFAULT_LINE_JOINING: LineJoiningOptions = { minRowOverlap: 0.55, maxHeightRatio: 1.8, maxGap: 1.6 };

/** A box that may be joined, with the score it carries (a line takes its words' area-weighted mean). */
export interface ScoredBox extends Box {
  score: number;
}

/**
 * Joins boxes that sit on one baseline, side by side, into lines (transitively, left to right);
 * boxes of stacked lines never join. Returns axis-aligned line boxes with the members they came from.
 */
export function joinLines<T extends ScoredBox>(boxes: readonly T[], options: LineJoiningOptions = DEFAULT_LINE_JOINING): Array<ScoredBox & { members: T[] }> {
  const parent = boxes.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      if (sameLine(boxes[i]!, boxes[j]!, options)) parent[root(i)] = root(j);
    }
  }
  const groups = new Map<number, T[]>();
  boxes.forEach((b, i) => groups.set(root(i), [...(groups.get(root(i)) ?? []), b]));
  return [...groups.values()].map((members) => {
    const x = Math.min(...members.map((b) => b.x));
    const y = Math.min(...members.map((b) => b.y));
    const weight = members.reduce((s, b) => s + b.w * b.h, 0) || 1;
    return {
      x,
      y,
      w: Math.max(...members.map((b) => b.x + b.w)) - x,
      h: Math.max(...members.map((b) => b.y + b.h)) - y,
      score: members.reduce((s, b) => s + b.score * b.w * b.h, 0) / weight,
      members,
    };
  });
}

function sameLine(a: Box, b: Box, o: LineJoiningOptions): boolean {
  const shorter = Math.min(a.h, b.h);
  if (shorter <= 0 || Math.max(a.h, b.h) > o.maxHeightRatio * shorter) return false;
  const rows = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (rows < o.minRowOverlap * shorter) return false;
  const gap = Math.max(a.x, b.x) - Math.min(a.x + a.w, b.x + b.w);
  return gap <= o.maxGap * shorter;
}
