/**
 * Scores and probabilities in artmeta's output (people, text lines, placement) carry three decimals:
 * one rounding for all of them, so the same figure never prints with two precisions.
 */
export function roundScore(value: number): number {
  return Math.round(value * 1000) / 1000;
}
