import { createHash } from 'node:crypto';
import { area, intersection, type Box } from '../geometry/box.ts';
import { bucketKey, CANDIDATE_INDEX_DEFAULTS, tableBits } from './candidate-index.ts';
import { descriptorWords, WORDS_PER_DESCRIPTOR } from './hamming.ts';
import type { ImageSignature } from './image-signature.ts';
import { footprintInRoot } from './lineage-clustering.ts';
import { defaultModel, similarity } from './similarity-index.ts';

/**
 * The lineage analysis as a store-independent index needs it — what the catalogue in Redis
 * (service/catalogue) uses instead of LineageIndex's in-memory state: bucket keys to look candidates
 * up by, and the join decision against a lineage described by plain data. Same candidate keys, same
 * verification, same shared-core rule as LineageIndex, so one image meets the same decision in both.
 */
export interface LineageMatcher {
  /** Changes whenever keys or decisions would: an index built under another version must be rebuilt. */
  readonly version: string;
  readonly limits: CandidateLimits;
  /** Hash tables candidate keys come in. */
  readonly tables: number;
  /** `keys[t]`: the image's bucket keys in hash table t (one per indexed descriptor). */
  candidateKeys(signature: ImageSignature): number[][];
  /** The shape of a lineage that starts with `root`. */
  startLineage(root: ImageSignature): LineageShape;
  /**
   * Whether `signature` joins the lineage: verified against its representatives (the first is the
   * root) and keeping its shared core. Returns the lineage's shape with the new member, and whether
   * the new member becomes a representative too (its signature must then be kept); undefined = no.
   */
  tryJoin(signature: ImageSignature, lineage: LineageEvidence): JoinDecision | undefined;
}

export interface CandidateLimits {
  /** Most-voted candidate images looked at per new image. */
  candidates: number;
  /** Distinct candidate lineages verified per new image, most voted first. */
  verifiedLineages: number;
  /** Votes an image needs before it is worth verifying. */
  minVotes: number;
  /** Buckets holding more entries than this say nothing and are skipped (and no longer grown). */
  maxBucketSize: number;
}

/** What a lineage keeps besides its representatives' signatures: plain data, stored as JSON. */
export interface LineageShape {
  /** Region every member shares, in the root's feature frame. */
  core: Box;
  /** Area of the smallest member inside the root's frame. */
  smallestMember: number;
}

export interface LineageEvidence {
  shape: LineageShape;
  representatives: ImageSignature[];
}

export interface JoinDecision {
  shape: LineageShape;
  representative: boolean;
}

export interface MatcherOptions {
  /** Index at or above which an image joins a lineage. Default: the model's threshold. */
  threshold?: number;
  /** Share of the smaller footprint the shared core must keep; LineageIndex's minSharedCore. Default 0.5. */
  minSharedCore?: number;
}

/** The defaults of LineageIndex, so that the catalogue and `artmeta cluster` decide alike. */
const DEFAULT_LIMITS: CandidateLimits = { candidates: 8, verifiedLineages: 2, minVotes: 5, maxBucketSize: CANDIDATE_INDEX_DEFAULTS.maxBucketSize };

/** The matcher of the current lineage model: candidate keys of candidate-index.ts, verification against the root. */
export function rootMatcher(options: MatcherOptions = {}): LineageMatcher {
  const model = defaultModel();
  const threshold = options.threshold ?? model.threshold;
  const minSharedCore = options.minSharedCore ?? 0.5;
  const { tables, bitsPerKey, indexedFeatures } = CANDIDATE_INDEX_DEFAULTS;
  const bits = tableBits(tables, bitsPerKey);
  const version = createHash('sha256')
    .update(JSON.stringify({ model, threshold, minSharedCore, index: CANDIDATE_INDEX_DEFAULTS, limits: DEFAULT_LIMITS }))
    .digest('hex')
    .slice(0, 12);
  return {
    version,
    limits: DEFAULT_LIMITS,
    tables,
    candidateKeys(signature) {
      const words = descriptorWords(signature.features.descriptors);
      const count = Math.min(indexedFeatures, words.length / WORDS_PER_DESCRIPTOR);
      return bits.map((tableBitsOf) => Array.from({ length: count }, (_, d) => bucketKey(tableBitsOf, words, d)));
    },
    startLineage(root) {
      const frame = { x: 0, y: 0, w: root.featureFrame.width, h: root.featureFrame.height };
      return { core: frame, smallestMember: area(frame) };
    },
    tryJoin(signature, { shape, representatives }) {
      const root = representatives[0];
      if (!root) return undefined;
      const report = similarity(signature, root, model);
      if (report.index < threshold || !report.homography) return undefined;
      const footprint = footprintInRoot(signature, root, report.homography);
      if (!footprint) return undefined;
      const shared = intersection(shape.core, footprint);
      if (!shared || area(shared) < minSharedCore * Math.min(shape.smallestMember, area(footprint))) return undefined;
      return { shape: { core: shared, smallestMember: Math.min(shape.smallestMember, area(footprint)) }, representative: false };
    },
  };
}
