/**
 * Lineage grouping replayed one image at a time (`LineageIndex.add`, the decisions the catalogue in
 * Redis makes as images arrive) in seeded random arrival orders, with every wrong join traced: which
 * image joined which lineage, through which representative, on what evidence. `artmeta cluster` adds
 * in one canonical order (largest first); the catalogue meets whatever order images arrive in.
 */
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { LineageIndex, type LineageIndexOptions } from '../../analysis/lineage/lineage-clustering.ts';
import type { SimilarityReport } from '../../analysis/lineage/similarity-index.ts';
import { arrivalOrder } from '../support/synthetic-signatures.ts';
import { scorePartition, type PartitionScore } from './lineage-eval.ts';

export type ReportedSimilarity = (a: ImageSignature, b: ImageSignature) => SimilarityReport;

/** One image that joined a lineage holding another photo, or joined through a member of another photo. */
export interface WrongJoin {
  /** Place in the arrival order (0 = first). */
  arrival: number;
  image: number;
  /** The lineage's root (first member). */
  root: number;
  /** The representative the image verified against. */
  via: number;
  /** The pair (image, via) that decided it. */
  report: SimilarityReport;
  /** The lineage's members by true lineage just before the join. */
  members: Map<string, number>;
  /** A lineage holding a true sibling of the image existed already. */
  siblingLineage: boolean;
}

export interface OrderReplay {
  /** 0-based arrival order (arrivalOrder). */
  order: number;
  score: PartitionScore;
  wrongJoins: WrongJoin[];
}

/**
 * Replays `arrival` (image positions) through a fresh LineageIndex with `options`; `pair` should
 * remember pairs across orders.
 */
function replayArrival(
  arrival: number[],
  signatures: ImageSignature[],
  truth: string[],
  pair: ReportedSimilarity,
  options: LineageIndexOptions = {},
): { predicted: string[]; wrongJoins: WrongJoin[] } {
  let verified: Array<{ b: ImageSignature; report: SimilarityReport }> = [];
  const index = new LineageIndex({
    ...options,
    similarity: (a, b) => {
      const report = pair(a, b);
      verified.push({ b, report });
      return report;
    },
  });
  const positionOf = new Map(signatures.map((s, k) => [s, k]));
  const membersOf = new Map<string, number[]>();
  const wrongJoins: WrongJoin[] = [];
  arrival.forEach((image, at) => {
    verified = [];
    const lineage = index.add(String(image), signatures[image]!);
    const members = membersOf.get(lineage) ?? [];
    if (members.length > 0) {
      // decideJoin stops at the first representative of a lineage that passes: the last one of the joined
      // lineage verified decided (other lineages may be verified after it).
      const inLineage = new Set(members);
      const last = verified.filter((v) => inLineage.has(positionOf.get(v.b)!)).pop()!;
      const via = positionOf.get(last.b)!;
      if (truth[via] !== truth[image] || truth[members[0]!] !== truth[image]) {
        const byTruth = new Map<string, number>();
        for (const m of members) byTruth.set(truth[m]!, (byTruth.get(truth[m]!) ?? 0) + 1);
        const siblingLineage = [...membersOf].some(([id, ms]) => id !== lineage && ms.some((m) => truth[m] === truth[image]));
        wrongJoins.push({ arrival: at, image, root: members[0]!, via, report: last.report, members: byTruth, siblingLineage });
      }
    }
    members.push(image);
    membersOf.set(lineage, members);
  });
  return { predicted: signatures.map((_, k) => index.lineageOf(String(k))!), wrongJoins };
}

/** `orders` seeded random arrival orders (arrivalOrder 0 … orders-1), replayed and scored. */
export function replayOrders(orders: number, signatures: ImageSignature[], truth: string[], pair: ReportedSimilarity, options: LineageIndexOptions = {}): OrderReplay[] {
  return Array.from({ length: orders }, (_, order) => {
    const { predicted, wrongJoins } = replayArrival(arrivalOrder(signatures.length, order), signatures, truth, pair, options);
    return { order, score: scorePartition(truth, predicted), wrongJoins };
  });
}

/** Mean and min pairwise P and R over the orders, and how many orders false-merged. */
export function summariseOrders(replays: OrderReplay[]): string {
  const p = replays.map((r) => r.score.precision);
  const r = replays.map((x) => x.score.recall);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const merging = replays.filter((x) => x.score.falseMergePairs > 0).length;
  return `${replays.length} random arrival orders: pairwise P mean ${mean(p).toFixed(4)} min ${Math.min(...p).toFixed(4)}, R mean ${mean(r).toFixed(4)} min ${Math.min(...r).toFixed(4)}, B-cubed F1 mean ${mean(replays.map((x) => x.score.bcubedF1)).toFixed(4)}; orders with a false merge ${merging} of ${replays.length}`;
}

/** One line per wrong join: names by `label`, sizes from the signatures. */
export function describeWrongJoin(w: WrongJoin, label: (image: number) => string, signatures: ImageSignature[]): string {
  const size = (k: number) => `${signatures[k]!.width}x${signatures[k]!.height}`;
  const { report } = w;
  const f = report.features;
  const members = [...w.members].map(([t, n]) => `${t}×${n}`).join(' ');
  return (
    `  arrival ${w.arrival}: ${label(w.image)} ${size(w.image)} joined the lineage of root ${label(w.root)} ${size(w.root)} via ${label(w.via)} ${size(w.via)}` +
    ` | index ${report.index.toFixed(3)}, inliers ${f.inliers}, inlier ratio ${f.inlierRatio.toFixed(2)}, near misses ${f.nearMisses.toFixed(3)}, overlap ${f.overlap.toFixed(2)}, reprojection ${f.reprojectionError.toFixed(2)}, SSIM ${report.ssim.toFixed(2)}, histogram ${report.histogram.toFixed(2)}, EMD ${report.emd.toFixed(1)}` +
    ` | lineage then: ${members}; a sibling's lineage existed: ${w.siblingLineage ? 'yes' : 'no'}`
  );
}
