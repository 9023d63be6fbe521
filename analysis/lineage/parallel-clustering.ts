import type { Homography } from './homography.ts';
import type { ImageSignature } from './image-signature.ts';
import { compareCanonical, joinRuleOf, LineageIndex, type LineageIndexOptions, type LookedUp } from './lineage-clustering.ts';

/** One pair verified ahead of its image's assignment: the image against the signature kept at `slot`. */
export interface VerifiedAhead {
  slot: number;
  index: number;
  homography?: Homography;
}

/**
 * Verifies images' planned pairs off the main thread (service/threads/verification-pool.ts) with the
 * model's `similarity`, so results equal what the main thread would compute.
 */
export interface AheadVerifier {
  /** The copy of a signature the index keeps at `slot`, one the verifier reaches by that slot later. */
  keep(slot: number, signature: ImageSignature): ImageSignature;
  /**
   * Verifies `signature` against the slots of `plan`, group by group in order, stopping after the first
   * pair at or above the join threshold with a transform (the join would most likely take it).
   * `pending(slot)`: the signature of a planned slot not kept yet.
   */
  verify(signature: ImageSignature, plan: number[][], pending: (slot: number) => ImageSignature): Promise<VerifiedAhead[]>;
}

export interface ParallelClusteringOptions extends Omit<LineageIndexOptions, 'keepSignature' | 'similarity'> {
  /**
   * Images looked up and sent to verification ahead of the one being assigned. Default 32: enough to
   * keep two threads busy while the main thread looks up (a verification takes ~2 ms, a look-up ~2-3 ms
   * at 100k), few enough that an image rarely has a candidate whose lineage is still undecided when its
   * plan is made (synthetic catalogues keep a lineage within ~1,800 images, real ones further apart).
   */
  lookahead?: number;
}

/** ParallelClusteringOptions.lookahead's default; its reasons are there. */
const DEFAULT_LOOKAHEAD = 32;

interface Pending {
  id: string;
  signature: ImageSignature;
  lookedUp: LookedUp;
  ahead: Promise<VerifiedAhead[]>;
}

/**
 * LineageIndex with its verifications done ahead on other threads; every decision is the one
 * LineageIndex.add makes for the same images in the same order. Look-up and indexing do not depend on
 * any assignment, so the main thread runs them `lookahead` images ahead; for each image it plans the
 * pairs the join will likely verify (from the lineages as they are then) and a thread verifies them
 * while earlier images are assigned. The assignment then runs LineageIndex's own join, in order, taking
 * a pair's similarity from the thread's results and computing on the main thread only pairs the plan
 * missed (a lineage decided or reshaped in between, a join refused by the shared core). Similarity is
 * the model's (`similarity` cannot be replaced).
 */
export class ParallelClustering {
  readonly index: LineageIndex;
  /** Pairs the join needed that were not verified ahead (computed on the main thread). */
  missedPairs = 0;
  private readonly slotOfKept = new WeakMap<ImageSignature, number>();
  private readonly pendingBySlot = new Map<number, ImageSignature>();
  private readonly lookahead: number;
  private readonly similarity;

  constructor(
    private readonly verifier: AheadVerifier,
    options: ParallelClusteringOptions = {},
  ) {
    this.lookahead = Math.max(1, options.lookahead ?? DEFAULT_LOOKAHEAD);
    this.similarity = joinRuleOf(options).similarity;
    this.index = new LineageIndex({
      ...options,
      keepSignature: (slot, signature) => {
        const kept = verifier.keep(slot, signature);
        this.slotOfKept.set(kept, slot);
        return kept;
      },
    });
  }

  /** Adds images in the order given; `onAdded` hears each one's lineage as it is assigned. */
  async addAll(images: Iterable<{ id: string; signature: ImageSignature }>, onAdded?: (id: string, lineageId: string) => void): Promise<void> {
    const queue: Pending[] = [];
    const assignOldest = async () => {
      const { id, signature, lookedUp, ahead } = queue.shift()!;
      const verified = new Map((await ahead).map((r) => [r.slot, r]));
      const lineageId = this.index.assign(id, signature, lookedUp, (a, b) => {
        const found = verified.get(this.slotOfKept.get(b) ?? -1);
        if (found) return found;
        this.missedPairs++;
        return this.similarity(a, b);
      });
      this.pendingBySlot.delete(lookedUp.slot);
      onAdded?.(id, lineageId);
    };
    for (const { id, signature } of images) {
      const lookedUp = this.index.lookUp(id, signature);
      this.pendingBySlot.set(lookedUp.slot, signature);
      const ahead = this.verifier.verify(signature, this.index.plannedVerifications(lookedUp), (slot) => this.pendingBySlot.get(slot)!);
      // A rejection is handled when the image is assigned; until then it must not count as unhandled.
      ahead.catch(() => {});
      queue.push({ id, signature, lookedUp, ahead });
      if (queue.length > this.lookahead) await assignOldest();
    }
    while (queue.length > 0) await assignOldest();
  }

  /** LineageIndex.cluster's canonical order and result, verifying ahead. */
  async cluster(images: Array<{ id: string; signature: ImageSignature }>, onProgress?: (done: number) => void): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    await this.addAll([...images].sort(compareCanonical), (id, lineageId) => {
      out.set(id, lineageId);
      onProgress?.(out.size);
    });
    return out;
  }
}
