import { type Box, coverage, iou, union } from '../geometry/box.ts';

export interface ScoredBox extends Box {
  probability: number;
}

export interface LineMergingOptions {
  /** A line needs at least one word this probable. Default 0.5. */
  minCandidateProbability?: number;
  /**
   * Words this probable join a line that has a likely word, but never make one on their own
   * (hysteresis: a faint or thin word next to a clear one is part of the same title). Default 0.15.
   */
  minJoinProbability?: number;
  /** Widest gap between words of one line, in heights of the taller word. Default 2.0. */
  maxWordGap?: number;
  /** Largest height ratio of two words of one line. Default 1.6. */
  maxHeightRatio?: number;
  /** Least vertical overlap of two words of one line, as a share of the shorter. Default 0.6. */
  minVerticalOverlap?: number;
}

export const DEFAULT_LINE_MERGING: Required<LineMergingOptions> = {
  minCandidateProbability: 0.5,
  minJoinProbability: 0.15,
  maxWordGap: 2.0,
  maxHeightRatio: 1.6,
  minVerticalOverlap: 0.6,
};

/**
 * Turns scored word-or-line candidates from all binarisations into line boxes: duplicates found by
 * several binarisations collapse into the likeliest, then words side by side on one line join. A
 * line is as probable as its likeliest word, and only lines with a likely word are kept.
 */
export function mergeTextLines(candidates: ScoredBox[], options: LineMergingOptions = {}): ScoredBox[] {
  const opts = { ...DEFAULT_LINE_MERGING, ...options };
  const joinAt = Math.min(opts.minJoinProbability, opts.minCandidateProbability);
  const likely = candidates.filter((c) => c.probability >= joinAt).sort((a, b) => b.probability - a.probability);
  const kept: ScoredBox[] = [];
  for (const c of likely) {
    if (!kept.some((k) => iou(c, k) >= 0.5 || (coverage(c, k) >= 0.8 && c.h <= 1.2 * k.h))) kept.push(c);
  }
  // Words chain pairwise (union-find), not onto a growing line box: a slightly tilted line keeps
  // linking word to word even when its overall box gets tall.
  const parent = kept.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (let i = 0; i < kept.length; i++) {
    for (let j = i + 1; j < kept.length; j++) if (sameLine(kept[i]!, kept[j]!, opts)) parent[find(j)] = find(i);
  }
  const lines = new Map<number, ScoredBox>();
  kept.forEach((word, i) => {
    const root = find(i);
    const line = lines.get(root);
    lines.set(root, line ? { ...union(line, word), probability: Math.max(line.probability, word.probability) } : { ...word });
  });
  return [...lines.values()].filter((l) => l.probability >= opts.minCandidateProbability);
}

function sameLine(a: Box, b: Box, opts: Required<LineMergingOptions>): boolean {
  const short = Math.min(a.h, b.h);
  if (Math.max(a.h, b.h) > opts.maxHeightRatio * short) return false;
  const overlap = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (overlap < opts.minVerticalOverlap * short) return false;
  const gap = Math.max(a.x, b.x) - Math.min(a.x + a.w, b.x + b.w);
  return gap <= opts.maxWordGap * Math.max(a.h, b.h);
}
