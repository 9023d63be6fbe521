import type { Box } from '../geometry/box.ts';
import { calibrate } from './detect-text.ts';
import type { TextEvidence } from './placement.ts';

/**
 * The candidate lines an image's detection did not report, as placement evidence: each with its
 * probability on the reported scale (the line threshold reads 0.5), those from `floor` up, in whole
 * pixels. When the image as a whole was not said to hold text, none of its lines was reported.
 */
export function unreportedEvidence(
  lines: ReadonlyArray<Box & { probability: number }>,
  reported: readonly Box[],
  threshold: number,
  floor: number,
): TextEvidence[] {
  return lines
    .filter((l) => reported.length === 0 || l.probability < threshold)
    .map((l) => ({ x: Math.floor(l.x), y: Math.floor(l.y), w: Math.ceil(l.w), h: Math.ceil(l.h), probability: Math.round(1000 * calibrate(l.probability, threshold)) / 1000 }))
    .filter((e) => e.probability >= floor);
}
