import { ArtmetaError } from '../errors.ts';
import { CandidateIndex, type Candidate, type CandidateIndexOptions } from './candidate-index.ts';
import type { ImageSignature } from './image-signature.ts';
import { lineageIdFor } from './lineage-id.ts';
import { bestJoin, decideJoin, startShape, verifiedRepresentatives, type JoinDecision, type JoinRule, type LineageShape, type PairSimilarity } from './lineage-join.ts';
import { defaultModel, similarity } from './similarity-index.ts';

export interface Lineage {
  id: string;
  /** Image ids, in the order they joined. */
  members: string[];
  /** The root: the first member; lineage ids and every footprint are in its terms. */
  representative: string;
  /** Members a new image may verify against: the root and crops that reach other parts of the background. */
  representatives: string[];
}

export interface LineageIndexOptions {
  /** Index at or above which an image joins a lineage. Default: the model's threshold. */
  threshold?: number;
  /** Best-scored candidate images looked up per new image. Default 16. */
  candidates?: number;
  /**
   * Distinct candidate lineages verified per new image, best scored first (CandidateIndex.query), until
   * one passes. Default 6: a crop sharing only the core with its siblings gets few votes, and other pictures of the same
   * texture (grass, stone) can outvote them; on synth:lineages 4 instead of 2 found 3.8% more pairs
   * (recall 0.877 → 0.915) with no false merge, and 6 instead of 4 (with the early check of
   * feature-match.ts, which makes the extra, mostly failing, verifications cheap) 0.931 → 0.945, on the
   * --harder set 0.852 → 0.862, no false merge added.
   */
  verifiedLineages?: number;
  /**
   * Candidate-index votes an image needs before it is worth verifying. Default 3: a crop that shares a
   * quarter of the picture with its sibling after a strong grade may get only 3-6 (each of ~40 shared
   * keypoints hits one of 4 tables' buckets with a chance of ~15%), a chance collision of descriptor
   * bits 1-2 — and a failed verification costs as much as a successful one.
   */
  minVotes?: number;
  /**
   * Every member of a lineage contains the same core region. A new member must keep the region shared by
   * all members (in the root's frame) at least this share of the smaller of itself and the smallest
   * member. Default 0.3: crops of 35-60% of a background around a core of 25-30% of it keep 0.42 or more,
   * while two crops that share nothing keep 0. This is what stops a chain: B verifies against A and C
   * against B, but C, which shares nothing with A, cannot join A's lineage — whichever member it verified
   * against.
   */
  minSharedCore?: number;
  /**
   * Members a new image may verify against, the root included. Default 4: the root and up to three crops
   * that reach parts of the background the others do not (a 2:3 crop may share with a 16:9 root only a
   * core too small to verify, and enough with a 1:1 sibling). Only the voted ones are verified
   * (lineage-join.ts), so a fourth costs verifications only where the index points at it.
   */
  representatives?: number;
  /** Pair similarity; replaceable so an evaluation can cache it. Default `similarity`. */
  similarity?: PairSimilarity;
  candidateIndex?: CandidateIndexOptions;
  /**
   * The copy of a representative's signature the index keeps (`slot`: its candidate-index slot).
   * Default the signature itself; the parallel clustering (parallel-clustering.ts) keeps it in memory
   * its verification threads share.
   */
  keepSignature?: (slot: number, signature: ImageSignature) => ImageSignature;
}

/** An image looked up and indexed, not yet assigned (see LineageIndex.lookUp). */
export interface LookedUp {
  slot: number;
  candidates: Candidate[];
}

/** The defaults above, shared with the catalogue's matcher (lineage-matcher.ts) so both decide alike. */
export const LINEAGE_INDEX_DEFAULTS = { candidates: 16, verifiedLineages: 6, minVotes: 3, minSharedCore: 0.3, representatives: 4 } as const;

/** The join rule of these options, defaults filled in. */
export function joinRuleOf(options: Pick<LineageIndexOptions, 'threshold' | 'minSharedCore' | 'representatives' | 'similarity'> = {}): JoinRule {
  return {
    threshold: options.threshold ?? defaultModel().threshold,
    minSharedCore: options.minSharedCore ?? LINEAGE_INDEX_DEFAULTS.minSharedCore,
    representatives: options.representatives ?? LINEAGE_INDEX_DEFAULTS.representatives,
    similarity: options.similarity ?? ((a, b) => similarity(a, b)),
  };
}

interface Representative {
  id: string;
  signature: ImageSignature;
  /** Its candidate-index slot. */
  slot: number;
}

interface LineageState {
  id: string;
  /** The core, smallest member and representatives' places: what lineage-join.ts decides on. */
  shape: LineageShape;
  /** Root first, in the order of `shape.representatives`. */
  representatives: Representative[];
  members: string[];
}

/**
 * Incremental lineage grouping. A new image asks the candidate index for look-alikes, and joins the
 * lineage of one of them only if it verifies against one of that lineage's few representatives (the
 * root and crops reaching other parts of the background) and keeps the core every member shares — so a
 * chain A~B~C, A and C sharing nothing, cannot pull two lineages together. Lineage ids come from the
 * root's content hash: adding images never renames a lineage, and `cluster` on the same images gives
 * the same ids. Only representatives' signatures are kept.
 */
export class LineageIndex {
  private readonly candidates: CandidateIndex;
  private readonly lineageOfSlot: number[] = [];
  private readonly lineages: LineageState[] = [];
  private readonly assigned = new Map<string, string>();
  /** Ids looked up, assigned or not yet. */
  private readonly lookedUp = new Set<string>();
  private readonly lineageIds = new Set<string>();
  private readonly rule: JoinRule;
  private readonly candidateLimit: number;
  private readonly verifiedLineages: number;
  private readonly minVotes: number;
  private readonly keepSignature: (slot: number, signature: ImageSignature) => ImageSignature;
  /** Pairs verified so far (for throughput figures). */
  verifiedPairs = 0;

  constructor(options: LineageIndexOptions = {}) {
    this.rule = joinRuleOf(options);
    this.keepSignature = options.keepSignature ?? ((_, signature) => signature);
    this.candidateLimit = options.candidates ?? LINEAGE_INDEX_DEFAULTS.candidates;
    this.verifiedLineages = options.verifiedLineages ?? LINEAGE_INDEX_DEFAULTS.verifiedLineages;
    this.minVotes = options.minVotes ?? LINEAGE_INDEX_DEFAULTS.minVotes;
    this.candidates = new CandidateIndex(options.candidateIndex);
  }

  /** Adds one image and returns the id of the lineage it now belongs to. */
  add(id: string, signature: ImageSignature): string {
    return this.assign(id, signature, this.lookUp(id, signature));
  }

  /**
   * The first half of `add`: the candidate look-up, then indexing the image. Neither depends on any
   * earlier image's assignment, only on the images added before, so the parallel clustering looks images
   * up ahead of assigning them; `assign` must then follow in the same order.
   */
  lookUp(id: string, signature: ImageSignature): LookedUp {
    if (this.lookedUp.has(id)) throw new ArtmetaError('INVALID_ARGUMENT', `image "${id}" is already in the index`);
    this.lookedUp.add(id);
    const candidates = this.candidates.query(signature, this.candidateLimit, this.minVotes);
    return { candidates, slot: this.candidates.add(signature) };
  }

  /**
   * The second half of `add`: the lineage the looked-up image joins, or a new one. `similarity`
   * replaces the rule's for this image (the parallel clustering's results verified ahead); it must
   * give what the rule's would.
   */
  assign(id: string, signature: ImageSignature, { slot, candidates }: LookedUp, similarity = this.rule.similarity): string {
    const rule: JoinRule = {
      ...this.rule,
      similarity: (a, b) => {
        this.verifiedPairs++;
        return similarity(a, b);
      },
    };
    const voted = new Set(candidates.map((c) => c.slot));
    // Best scored first; a sure join ends the search at ~1-2 verifications (lineage-join.ts, bestJoin).
    const joined = bestJoin(this.candidateLineages(candidates), (lineage) => decideJoin(rule, signature, this.lineages[lineage]!.shape, this.evidence(lineage, voted)));
    const lineage = joined ? joined.lineage : this.createLineage(id, signature, slot);
    if (joined) this.join(this.lineages[lineage]!, id, signature, slot, joined.decision);
    this.lineages[lineage]!.members.push(id);
    this.lineageOfSlot[slot] = lineage;
    const lineageId = this.lineages[lineage]!.id;
    this.assigned.set(id, lineageId);
    return lineageId;
  }

  /**
   * The representatives' slots `assign` would verify a looked-up image against, lineage by lineage in
   * the order it would, were it assigned now. Candidates not assigned yet count as roots of their own
   * lineage (most images arrive long after their look-alikes). A prediction: `assign` decides on the
   * state it meets, which later assignments may change.
   */
  plannedVerifications({ candidates }: LookedUp): number[][] {
    const voted = new Set(candidates.map((c) => c.slot));
    const plan: number[][] = [];
    const seen = new Set<number>();
    for (const candidate of candidates) {
      const lineage = this.lineageOfSlot[candidate.slot];
      if (lineage === undefined) plan.push([candidate.slot]);
      else if (!seen.has(lineage)) {
        seen.add(lineage);
        const representatives = this.lineages[lineage]!.representatives;
        plan.push(verifiedRepresentatives(representatives.map((r) => voted.has(r.slot))).map((k) => representatives[k]!.slot));
      }
      if (plan.length >= this.verifiedLineages) break;
    }
    return plan;
  }

  /**
   * Adds a batch in canonical order — largest image first (most likely the original or the widest crop,
   * the best root), ties by content hash — so the result does not depend on the order given.
   */
  cluster(images: Array<{ id: string; signature: ImageSignature }>, onProgress?: (done: number) => void): Map<string, string> {
    const ordered = [...images].sort(compareCanonical);
    const out = new Map<string, string>();
    ordered.forEach(({ id, signature }, k) => {
      out.set(id, this.add(id, signature));
      onProgress?.(k + 1);
    });
    return out;
  }

  /** Lineage of an image added before. */
  lineageOf(id: string): string | undefined {
    return this.assigned.get(id);
  }

  /** All lineages, sorted by id. */
  list(): Lineage[] {
    return this.lineages
      .map((l) => ({ id: l.id, members: [...l.members], representative: l.members[0]!, representatives: l.representatives.map((r) => r.id) }))
      .sort((p, q) => compareStrings(p.id, q.id));
  }

  /** The distinct lineages of the candidates, best scored first, at most `verifiedLineages`. */
  private candidateLineages(candidates: Candidate[]): number[] {
    const lineages: number[] = [];
    for (const candidate of candidates) {
      const lineage = this.lineageOfSlot[candidate.slot]!;
      if (!lineages.includes(lineage)) lineages.push(lineage);
      if (lineages.length >= this.verifiedLineages) break;
    }
    return lineages;
  }

  private evidence(lineage: number, voted: Set<number>): Array<{ signature: ImageSignature; voted: boolean }> {
    return this.lineages[lineage]!.representatives.map((r) => ({ signature: r.signature, voted: voted.has(r.slot) }));
  }

  private join(state: LineageState, id: string, signature: ImageSignature, slot: number, decision: JoinDecision): void {
    state.shape = decision.shape;
    if (decision.representative) state.representatives.push({ id, signature: this.keepSignature(slot, signature), slot });
  }

  private createLineage(id: string, root: ImageSignature, slot: number): number {
    let lineageId = lineageIdFor(root.contentHash);
    // The same pixels twice normally verify as one lineage; if a model ever rejects it, keep ids unique.
    for (let k = 2; this.lineageIds.has(lineageId); k++) lineageId = `${lineageIdFor(root.contentHash)}-${k}`;
    this.lineageIds.add(lineageId);
    this.lineages.push({ id: lineageId, shape: startShape(root), representatives: [{ id, signature: this.keepSignature(slot, root), slot }], members: [] });
    return this.lineages.length - 1;
  }
}

/**
 * The canonical order of images in a lineage index: largest first (most likely the original or the
 * widest crop, the best root), ties by content hash, then by id. `LineageIndex.cluster` and the
 * catalogue's rebuild both add in this order, so they give the same lineages.
 */
export function compareCanonical(
  p: { id: string; signature: Pick<ImageSignature, 'width' | 'height' | 'contentHash'> },
  q: { id: string; signature: Pick<ImageSignature, 'width' | 'height' | 'contentHash'> },
): number {
  return (
    q.signature.width * q.signature.height - p.signature.width * p.signature.height ||
    compareStrings(p.signature.contentHash, q.signature.contentHash) ||
    compareStrings(p.id, q.id)
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
