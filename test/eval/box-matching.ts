import { coverage, iou, type Box } from '../../analysis/geometry/box.ts';

/** A ground-truth box; `ignore` marks a don't-care region (too small, dark or illegible to require). */
export interface TruthBox extends Box {
  ignore?: boolean;
}

export interface MatchCounts {
  tp: number;
  fp: number;
  fn: number;
}

/**
 * Detection scoring as the data set's README suggests: predictions are matched to required boxes
 * greedily, best IoU first, one-to-one, at IoU ≥ `minIou`; an unmatched prediction that overlaps an
 * ignore box (IoU ≥ `minIou`, or more than half of it inside) is neither a true nor a false positive.
 */
export function matchBoxes(predicted: readonly Box[], truth: readonly TruthBox[], minIou: number): MatchCounts {
  const required = truth.filter((t) => !t.ignore);
  const ignored = truth.filter((t) => t.ignore);
  const pairs: { p: number; t: number; iou: number }[] = [];
  predicted.forEach((p, pi) =>
    required.forEach((t, ti) => {
      const overlap = iou(p, t);
      if (overlap >= minIou) pairs.push({ p: pi, t: ti, iou: overlap });
    }),
  );
  pairs.sort((a, b) => b.iou - a.iou);
  const usedP = new Set<number>();
  const usedT = new Set<number>();
  for (const pair of pairs) {
    if (usedP.has(pair.p) || usedT.has(pair.t)) continue;
    usedP.add(pair.p);
    usedT.add(pair.t);
  }
  let fp = 0;
  predicted.forEach((p, pi) => {
    if (usedP.has(pi)) return;
    if (!ignored.some((t) => iou(p, t) >= minIou || coverage(p, t) > 0.5)) fp++;
  });
  return { tp: usedT.size, fp, fn: required.length - usedT.size };
}
