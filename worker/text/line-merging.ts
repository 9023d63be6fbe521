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
  let lines = kept.map((k) => ({ ...k }));
  for (let merged = true; merged; ) {
    merged = false;
    outer: for (let i = 0; i < lines.length; i++) {
      for (let j = i + 1; j < lines.length; j++) {
        if (!sameLine(lines[i]!, lines[j]!, opts)) continue;
        const a = lines[i]!;
        const b = lines[j]!;
        lines[i] = { ...union(a, b), probability: Math.max(a.probability, b.probability) };
        lines = lines.filter((_, k) => k !== j);
        merged = true;
        break outer;
      }
    }
  }
  return lines.filter((l) => l.probability >= opts.minCandidateProbability);
}

function sameLine(a: Box, b: Box, opts: Required<LineMergingOptions>): boolean {
  const short = Math.min(a.h, b.h);
  const centreOffset = Math.abs(a.y + a.h / 2 - (b.y + b.h / 2));
  if (Math.max(a.h, b.h) > opts.maxHeightRatio * short) return false;
  const overlap = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (overlap < opts.minVerticalOverlap * short) return false;
  // Words of one line share a centre line; a box sitting high or low on another is a different line.
  if (centreOffset > 0.3 * Math.max(a.h, b.h)) return false;
  const gap = Math.max(a.x, b.x) - Math.min(a.x + a.w, b.x + b.w);
  return gap <= opts.maxWordGap * Math.max(a.h, b.h);
}
