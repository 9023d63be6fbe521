import { createHash } from 'node:crypto';
import { CANDIDATE_INDEX_DEFAULTS, CHANCE_CANDIDATES, CHANCE_VOTE_TAIL, distinctBucketKeys, tableBits } from './candidate-index.ts';
import { descriptorWords, WORDS_PER_DESCRIPTOR } from './hamming.ts';
import type { ImageSignature } from './image-signature.ts';
import { joinRuleOf, LINEAGE_INDEX_DEFAULTS } from './lineage-clustering.ts';
import { decideJoin, JOIN_DECISION_VERSION, startShape, type JoinDecision, type JoinRule, type LineageShape, type PairSimilarity, type RepresentativeEvidence } from './lineage-join.ts';
import { SIGNATURE_VERSION } from './signature-codec.ts';
import { defaultModel } from './similarity-index.ts';

export type { LineageShape } from './lineage-join.ts';
/** How the catalogue chooses among an image's candidate lineages: as LineageIndex does. */
export { bestJoin } from './lineage-join.ts';

/**
 * The lineage analysis as a store-independent index needs it — what the catalogue in Redis
 * (service/catalogue) uses instead of LineageIndex's in-memory state: bucket keys to look candidates
 * up by, and the join decision against a lineage described by plain data. The keys are those of
 * CandidateIndex, the limits LineageIndex's defaults and the decision lineage-join.ts's, which
 * LineageIndex runs too: one image meets the same decision in both for the same arrival order.
 */
export interface LineageMatcher {
  /** Changes whenever keys or decisions would: an index built under another version must be rebuilt. */
  readonly version: string;
  readonly limits: CandidateLimits;
  /** Hash tables candidate keys come in. */
  readonly tables: number;
  /**
   * `keys[t]`: the image's bucket keys in hash table t, one per indexed descriptor, REPEATED_KEY where an
   * earlier descriptor has the same key in that table (it is in that bucket once, and votes once there).
   */
  candidateKeys(signature: ImageSignature): number[][];
  /** The shape of a lineage that starts with `root`. */
  startLineage(root: ImageSignature): LineageShape;
  /**
   * Whether `signature` joins the lineage: verified against its representatives (root first, each
   * marked whether the candidate look-up voted for it) and keeping its shared core. Returns the
   * lineage's shape with the new member, and whether the new member becomes a representative too (its
   * signature must then be kept); undefined = no.
   */
  tryJoin(signature: ImageSignature, lineage: LineageEvidence): JoinDecision | undefined;
}

export interface CandidateLimits {
  /** Most-voted candidate images looked at per new image. */
  candidates: number;
  /** Distinct candidate lineages verified per new image, most voted first. */
  verifiedLineages: number;
  /** Votes an image needs before it is worth verifying (more in a large index: votesAboveChance). */
  minVotes: number;
  /** Buckets holding more entries than this say nothing and are skipped (and no longer grown). */
  maxBucketSize: number;
}

export interface LineageEvidence {
  shape: LineageShape;
  /** In the order of `shape.representatives`. */
  representatives: RepresentativeEvidence[];
}

export interface MatcherOptions {
  /** Index at or above which an image joins a lineage. Default: the model's threshold. */
  threshold?: number;
  /** Pair similarity; replaceable so an evaluation can cache it or a test can stage one. Default `similarity`. */
  similarity?: PairSimilarity;
}

const LIMITS: CandidateLimits = {
  candidates: LINEAGE_INDEX_DEFAULTS.candidates,
  verifiedLineages: LINEAGE_INDEX_DEFAULTS.verifiedLineages,
  minVotes: LINEAGE_INDEX_DEFAULTS.minVotes,
  maxBucketSize: CANDIDATE_INDEX_DEFAULTS.maxBucketSize,
};

/** The matcher of the current lineage model, with LineageIndex's defaults. */
export function lineageMatcher(options: MatcherOptions = {}): LineageMatcher {
  const model = defaultModel();
  const rule = memoized(joinRuleOf(options));
  const { tables, bitsPerKey, indexedFeatures } = CANDIDATE_INDEX_DEFAULTS;
  const bits = tableBits(tables, bitsPerKey);
  const version = createHash('sha256')
    .update(
      JSON.stringify({
        // Keys are bits of the signature's descriptors: another version's keypoints key other buckets.
        signature: SIGNATURE_VERSION,
        joinDecision: JOIN_DECISION_VERSION,
        model,
        threshold: rule.threshold,
        minSharedCore: rule.minSharedCore,
        representatives: rule.representatives,
        index: CANDIDATE_INDEX_DEFAULTS,
        limits: LIMITS,
        // The votes a candidate needs grow with the index (votesAboveChance), by the measured chance tail.
        chanceCandidates: CHANCE_CANDIDATES,
        chanceVoteTail: CHANCE_VOTE_TAIL,
        // A bucket an image has twice in one table is entered and votes once (distinctBucketKeys).
        distinctBuckets: true,
      }),
    )
    .digest('hex')
    .slice(0, 12);
  return {
    version,
    limits: LIMITS,
    tables,
    candidateKeys(signature) {
      // CandidateIndex indexes the first `indexedFeatures` and queries with all; signatures keep at most
      // that many (orb-features.ts, MAX_FEATURES: 400), so one key list serves both.
      const words = descriptorWords(signature.features.descriptors);
      const count = Math.min(indexedFeatures, words.length / WORDS_PER_DESCRIPTOR);
      return distinctBucketKeys(bits, words, count).map((keys) => Array.from(keys));
    },
    startLineage: startShape,
    tryJoin: (signature, { shape, representatives }) => decideJoin(rule, signature, shape, representatives),
  };
}

/**
 * The rule with its pair similarity remembered per pair of signature objects: a catalogue assignment
 * that must decide again after a conflict meets mostly the same representatives, and re-verifying them
 * made a slow decision lose to a faster worker's commits again and again. The same objects must be
 * passed again for a hit (the catalogue keeps its decoded representatives for the assignment).
 */
function memoized(rule: JoinRule): JoinRule {
  const seen = new WeakMap<ImageSignature, WeakMap<ImageSignature, ReturnType<PairSimilarity>>>();
  return {
    ...rule,
    similarity: (a, b) => {
      let row = seen.get(a);
      if (!row) seen.set(a, (row = new WeakMap()));
      let report = row.get(b);
      if (!report) row.set(b, (report = rule.similarity(a, b)));
      return report;
    },
  };
}
