import { area, intersection, type Box } from '../geometry/box.ts';
import { composeHomographies, invertHomography, projectPoint, type Homography } from './homography.ts';
import type { ImageSignature } from './image-signature.ts';
import type { SimilarityReport } from './similarity-index.ts';

/** Pair similarity as the join needs it: the index, and the homography from the second image's frame to the first's. */
export type PairSimilarity = (a: ImageSignature, b: ImageSignature) => Pick<SimilarityReport, 'index' | 'homography'>;

/** How a new image is admitted to a lineage (see LineageIndexOptions for each value's reason). */
export interface JoinRule {
  threshold: number;
  minSharedCore: number;
  /** Most representatives a lineage keeps, the root included. */
  representatives: number;
  similarity: PairSimilarity;
}

/** Where a representative lies in the root's feature frame. */
export interface RepresentativePlace {
  /** Its feature frame → the root's. */
  toRoot: Homography;
  /** Its footprint in the root's frame, unclipped. */
  footprint: Box;
}

/**
 * Everything a join decision needs besides the representatives' signatures: plain data, so the
 * in-memory LineageIndex keeps it in an object and the catalogue in Redis as JSON.
 */
export interface LineageShape {
  /** Region every member shares, in the root's feature frame. */
  core: Box;
  /** Area of the smallest member inside the root's frame. */
  smallestMember: number;
  /** One per representative, root first, in the order they became representatives. */
  representatives: RepresentativePlace[];
}

export interface RepresentativeEvidence {
  signature: ImageSignature;
  /** The candidate index voted for it for this image (the root is verified either way). */
  voted: boolean;
}

export interface JoinDecision {
  /** The lineage's shape with the new member. */
  shape: LineageShape;
  /** The new member becomes a representative (its signature must be kept). */
  representative: boolean;
  /** Index of the verification that admitted it. */
  index: number;
}

/**
 * A member whose footprint is covered this much by one representative's adds no new part of the
 * background. 0.9 (0.8 before the ninth session), with four representatives instead of three: on
 * synth:lineages pairwise recall 0.9300 → 0.9369, on a held-out --harder synth set (seed 7) 0.8573 →
 * 0.8684, no false merge added; 0.95 with six representatives gave the same recall with more
 * verifications (BENCHMARKS.md).
 */
const NEW_PART_COVERAGE = 0.9;

/**
 * A join verified at this index or above is taken at once; below it, the image's other candidate
 * lineages are verified too and the one it verified against best joins it (bestJoin). Pairs of two
 * photos (the same scene a moment later) reach the threshold too, mostly where one side is a small copy
 * that cannot show what moved: on synth:lineages the highest such pair is 0.880 (the --harder sets,
 * held out: 0.865 and 0.942; the coherent-drift veto in similarity-index.ts now gives the 0.942 pair 0),
 * so 0.9 keeps a margin of 0.02 on the fitting set. When images arrive in
 * the order `artmeta cluster` adds them (largest first) the image's own lineage usually wins the vote
 * anyway; in random orders it often came second, and the first lineage that passed took it. On the
 * fitting set in 20 random arrival orders this cut the orders with a false merge 11 → 4 (held out: s7
 * 20 → 16, s11 5 → 3) for 15% more verifications (910 → 1045 in canonical order); taking the best of
 * every candidate lineage gave the same figures for 2.7× the verifications; 0.95 the same for 1.5×
 * (BENCHMARKS.md). Chosen on the index scale of the committed model: a refitted model needs it checked.
 */
export const SURE_JOIN_INDEX = 0.9;

/**
 * Changes whenever decideJoin or bestJoin would decide otherwise for the same rule: the catalogue's
 * matcher version covers it, so an index built under older decisions is rebuilt. 2: the root verified
 * only when voted for or no representative was, NEW_PART_COVERAGE 0.9. 3: the best of the candidate
 * lineages below SURE_JOIN_INDEX. 4: a pair whose matches drift together scores 0 (MAX_COHERENT_DRIFT in
 * similarity-index.ts) — the pair similarity's decision, versioned here with the join's.
 */
export const JOIN_DECISION_VERSION = 4;

const IDENTITY: Homography = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** The shape of a lineage that starts with `root`. */
export function startShape(root: ImageSignature): LineageShape {
  const frame = { x: 0, y: 0, w: root.featureFrame.width, h: root.featureFrame.height };
  return { core: frame, smallestMember: area(frame), representatives: [{ toRoot: IDENTITY, footprint: frame }] };
}

/**
 * Whether `signature` joins the lineage of `shape`: it is verified against the representatives the
 * candidate index voted for — the root only when it was voted for or none was — until one passes the
 * threshold with a footprint that keeps the core. Others are skipped: a representative that shares
 * nothing with the image gets no votes, and each verification costs as much as the whole vote. (Until
 * the ninth session the root was verified always; on synth:lineages an unvoted root verified after a
 * voted representative failed almost never passed: skipping it saves 5-7% of the verifications, which
 * pays for a fourth representative, see LINEAGE_INDEX_DEFAULTS.) `representatives[k]` is the signature
 * of `shape.representatives[k]`.
 */
export function decideJoin(rule: JoinRule, signature: ImageSignature, shape: LineageShape, representatives: RepresentativeEvidence[]): JoinDecision | undefined {
  for (const k of verifiedRepresentatives(representatives.map((r) => r.voted))) {
    const report = rule.similarity(signature, representatives[k]!.signature);
    if (report.index < rule.threshold || !report.homography) continue;
    // report.homography maps the representative's frame to the image's.
    const toRoot = composeHomographies(shape.representatives[k]!.toRoot, invertHomography(report.homography));
    const footprint = footprintIn(signature, toRoot);
    if (keepsCore(rule, shape, footprint)) return joined(rule, shape, { toRoot, footprint }, report.index);
  }
  return undefined;
}

/** Whether a join verified at `index` ends the search over an image's candidate lineages (SURE_JOIN_INDEX). */
export function joinSettles(index: number): boolean {
  return index >= SURE_JOIN_INDEX;
}

/**
 * The lineage an image joins among its candidate lineages (best scored by the look-up first): each is
 * decided in turn (decideJoin) until one is verified at SURE_JOIN_INDEX or above; otherwise the one
 * verified at the highest index, the first on a tie. LineageIndex and the catalogue in Redis both choose
 * through it.
 */
export function bestJoin<T>(lineages: Iterable<T>, decide: (lineage: T) => JoinDecision | undefined): { lineage: T; decision: JoinDecision } | undefined {
  let best: { lineage: T; decision: JoinDecision } | undefined;
  for (const lineage of lineages) {
    const decision = decide(lineage);
    if (!decision || (best && decision.index <= best.decision.index)) continue;
    best = { lineage, decision };
    if (joinSettles(decision.index)) break;
  }
  return best;
}

/** Which representatives decideJoin verifies, in order, given whether each was voted for (root first). */
export function verifiedRepresentatives(voted: boolean[]): number[] {
  const anyVoted = voted.includes(true);
  return [...voted.keys()].filter((k) => (anyVoted ? voted[k] : k === 0));
}

/** Whether `footprint` (unclipped, in the root's frame) keeps enough of the core; an empty share never does. */
function keepsCore(rule: JoinRule, shape: LineageShape, footprint: Box): boolean {
  const shared = intersection(shape.core, footprint);
  return !!shared && area(shared) > 0 && area(shared) >= rule.minSharedCore * Math.min(shape.smallestMember, area(footprint));
}

function joined(rule: JoinRule, shape: LineageShape, place: RepresentativePlace, index: number): JoinDecision {
  const { footprint } = place;
  const covered = Math.max(...shape.representatives.map((r) => area(intersection(r.footprint, footprint) ?? { x: 0, y: 0, w: 0, h: 0 })));
  const representative = shape.representatives.length < rule.representatives && covered < NEW_PART_COVERAGE * area(footprint);
  return {
    shape: {
      core: intersection(shape.core, footprint) ?? shape.core,
      smallestMember: Math.min(shape.smallestMember, area(footprint)),
      representatives: representative ? [...shape.representatives, place] : shape.representatives,
    },
    representative,
    index,
  };
}

/** Bounding box of an image's frame mapped by `toRoot` into its lineage root's frame (unclipped). */
function footprintIn(image: ImageSignature, toRoot: Homography): Box {
  const { width, height } = image.featureFrame;
  const corners = [projectPoint(toRoot, 0, 0), projectPoint(toRoot, width, 0), projectPoint(toRoot, width, height), projectPoint(toRoot, 0, height)];
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  return { x: Math.min(...xs), y: Math.min(...ys), w: Math.max(...xs) - Math.min(...xs), h: Math.max(...ys) - Math.min(...ys) };
}
