/**
 * The text verifier's line operating point (used by `npm run fit:text`): among the thresholds that
 * leave `minClear` of the text-free images without a line, the one with the best line Hmean. Keeping
 * every candidate is not a threshold and never competes: on a set whose non-text lines the verifier
 * cannot tell from text, no threshold may beat it, and it used to be written as threshold 0.5 with
 * none of the text-free images clear. When no threshold leaves `minClear` clear, the one leaving the
 * most clear is returned with `met` false, for the caller to say so.
 */
export interface OperatingPoint {
  threshold: number;
  clear: number;
  hmean: number;
  met: boolean;
}

export function lineOperatingPoint(
  thresholds: readonly number[],
  clearShare: (t: number) => number,
  hmeanAt: (t: number) => number,
  minClear: number,
): OperatingPoint {
  if (thresholds.length === 0) throw new Error('no thresholds to choose from');
  let best: OperatingPoint | undefined;
  let mostClear: { threshold: number; clear: number } | undefined;
  for (const t of thresholds) {
    const clear = clearShare(t);
    if (!mostClear || clear > mostClear.clear) mostClear = { threshold: t, clear };
    if (clear < minClear) continue;
    const hmean = hmeanAt(t);
    if (!best || hmean > best.hmean) best = { threshold: t, clear, hmean, met: true };
  }
  if (best) return best;
  return { threshold: mostClear!.threshold, clear: mostClear!.clear, hmean: hmeanAt(mostClear!.threshold), met: false };
}
