import { ArtmetaError } from '../errors.ts';
import { area, intersection, type Box } from '../geometry/box.ts';
import { invertHomography, projectPoint, type Homography } from './homography.ts';
import { CandidateIndex, type CandidateIndexOptions } from './candidate-index.ts';
import type { ImageSignature } from './image-signature.ts';
import { lineageIdFor } from './lineage-id.ts';
import { defaultModel, similarity, type SimilarityReport } from './similarity-index.ts';

export interface Lineage {
  id: string;
  /** Image ids, in the order they joined. */
  members: string[];
  /** The root: the member every other one was verified against. */
  representative: string;
}

export interface LineageIndexOptions {
  /** Index at or above which an image joins a lineage. Default: the model's threshold. */
  threshold?: number;
  /** Most-voted candidate images looked up per new image. Default 8. */
  candidates?: number;
  /** Distinct candidate lineages verified per new image, most voted first, until one passes. Default 2. */
  verifiedLineages?: number;
  /**
   * Candidate-index votes an image needs before it is worth verifying. Default 5: a real derivative
   * gets dozens, a chance collision of descriptor bits a few — and a failed verification costs as much
   * as a successful one.
   */
  minVotes?: number;
  /**
   * Every member of a lineage contains the same core region. A new member must keep the region shared by
   * all members (in the root's frame) at least this share of the smaller of itself and the smallest
   * member. Default 0.5. This is what stops a star: B verifies against A and against C, but A and C,
   * which share nothing, cannot both join B's lineage.
   */
  minSharedCore?: number;
  /** Pair similarity; replaceable so an evaluation can cache it. Default `similarity`. */
  similarity?: (a: ImageSignature, b: ImageSignature) => Pick<SimilarityReport, 'index' | 'homography'>;
  candidateIndex?: CandidateIndexOptions;
}

interface LineageState {
  id: string;
  root: ImageSignature;
  members: string[];
  /** Region all members share, in the root's feature frame. */
  core: Box;
  /** Area of the smallest member inside the root's frame. */
  smallestMember: number;
}

/**
 * Incremental lineage grouping. A new image asks the candidate index for look-alikes, and joins the
 * lineage of one of them only if it verifies against that lineage's root — never against just any
 * member, so a chain A~B~C cannot pull two lineages together. Lineage ids come from the root's content
 * hash: adding images never renames a lineage, and `cluster` on the same images gives the same ids.
 * Only roots' signatures are kept.
 */
export class LineageIndex {
  private readonly candidates: CandidateIndex;
  private readonly lineageOfSlot: number[] = [];
  private readonly lineages: LineageState[] = [];
  private readonly assigned = new Map<string, string>();
  private readonly lineageIds = new Set<string>();
  private readonly threshold: number;
  private readonly candidateLimit: number;
  private readonly verifiedLineages: number;
  private readonly minVotes: number;
  private readonly minSharedCore: number;
  private readonly compare: NonNullable<LineageIndexOptions['similarity']>;
  /** Pairs verified so far (for throughput figures). */
  verifiedPairs = 0;

  constructor(options: LineageIndexOptions = {}) {
    this.threshold = options.threshold ?? defaultModel().threshold;
    this.candidateLimit = options.candidates ?? 8;
    this.verifiedLineages = options.verifiedLineages ?? 2;
    this.minVotes = options.minVotes ?? 5;
    this.minSharedCore = options.minSharedCore ?? 0.5;
    this.compare = options.similarity ?? ((a, b) => similarity(a, b));
    this.candidates = new CandidateIndex(options.candidateIndex);
  }

  /** Adds one image and returns the id of the lineage it now belongs to. */
  add(id: string, signature: ImageSignature): string {
    if (this.assigned.has(id)) throw new ArtmetaError('INVALID_ARGUMENT', `image "${id}" is already in the index`);
    let joined: { lineage: number; footprint: Box } | undefined;
    const seen = new Set<number>();
    // Most voted first; the first lineage whose root verifies wins — every one that passes is already
    // above the threshold against its root, and stopping there keeps the cost at ~1 verification per image.
    for (const candidate of this.candidates.query(signature, this.candidateLimit, this.minVotes)) {
      const lineage = this.lineageOfSlot[candidate.slot]!;
      if (seen.has(lineage)) continue;
      seen.add(lineage);
      this.verifiedPairs++;
      const state = this.lineages[lineage]!;
      const report = this.compare(signature, state.root);
      const footprint = report.homography && footprintInRoot(signature, state.root, report.homography);
      if (report.index >= this.threshold && footprint && this.keepsCore(state, footprint)) {
        joined = { lineage, footprint };
        break;
      }
      if (seen.size >= this.verifiedLineages) break;
    }
    const lineage = joined ? joined.lineage : this.createLineage(signature);
    if (joined) this.shrinkCore(this.lineages[lineage]!, joined.footprint);
    this.lineages[lineage]!.members.push(id);
    this.lineageOfSlot[this.candidates.add(signature)] = lineage;
    const lineageId = this.lineages[lineage]!.id;
    this.assigned.set(id, lineageId);
    return lineageId;
  }

  /**
   * Adds a batch in canonical order — largest image first (most likely the original or the widest crop,
   * the best root), ties by content hash — so the result does not depend on the order given.
   */
  cluster(images: Array<{ id: string; signature: ImageSignature }>, onProgress?: (done: number) => void): Map<string, string> {
    const ordered = [...images].sort(
      (p, q) =>
        q.signature.width * q.signature.height - p.signature.width * p.signature.height ||
        compareStrings(p.signature.contentHash, q.signature.contentHash) ||
        compareStrings(p.id, q.id),
    );
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
      .map((l) => ({ id: l.id, members: [...l.members], representative: l.members[0]! }))
      .sort((p, q) => compareStrings(p.id, q.id));
  }

  private keepsCore(state: LineageState, footprint: Box): boolean {
    const shared = intersection(state.core, footprint);
    return !!shared && area(shared) >= this.minSharedCore * Math.min(state.smallestMember, area(footprint));
  }

  private shrinkCore(state: LineageState, footprint: Box): void {
    state.core = intersection(state.core, footprint) ?? state.core;
    state.smallestMember = Math.min(state.smallestMember, area(footprint));
  }

  private createLineage(root: ImageSignature): number {
    let id = lineageIdFor(root.contentHash);
    // The same pixels twice normally verify as one lineage; if a model ever rejects it, keep ids unique.
    for (let k = 2; this.lineageIds.has(id); k++) id = `${lineageIdFor(root.contentHash)}-${k}`;
    this.lineageIds.add(id);
    const frame = { x: 0, y: 0, w: root.featureFrame.width, h: root.featureFrame.height };
    this.lineages.push({ id, root, members: [], core: frame, smallestMember: area(frame) });
    return this.lineages.length - 1;
  }
}

/**
 * Where an image lies in its lineage root's frame, clipped to it. `rootToImage` maps the root's feature
 * frame to the image's (as similarity(image, root) reports it).
 */
export function footprintInRoot(image: ImageSignature, root: ImageSignature, rootToImage: Homography): Box | undefined {
  const toRoot = invertHomography(rootToImage);
  const { width, height } = image.featureFrame;
  const corners = [projectPoint(toRoot, 0, 0), projectPoint(toRoot, width, 0), projectPoint(toRoot, width, height), projectPoint(toRoot, 0, height)];
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const bounds = { x: Math.min(...xs), y: Math.min(...ys), w: Math.max(...xs) - Math.min(...xs), h: Math.max(...ys) - Math.min(...ys) };
  return intersection(bounds, { x: 0, y: 0, w: root.featureFrame.width, h: root.featureFrame.height });
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
