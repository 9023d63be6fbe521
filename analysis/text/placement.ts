import type { PlacementResult } from '../analysis-schema.ts';
import { type Box, type Size, intersection } from '../geometry/box.ts';
import type { PlacementAnchor, PlacementLength, PlacementRequest } from './placement-spec.ts';
import { roundScore } from '../score-rounding.ts';

/** Gap between a placed box and the image edge, as a fraction of the short side. */
const EDGE_MARGIN = 0.03;
/** Clear space kept around a face, as a fraction of the face's long side. */
const FACE_PADDING = 0.15;
/** The subtitle band spans from this fraction of the height down to the bottom margin. */
const SUBTITLE_BAND_TOP = 0.6;

/** What evaluations and measurements vary; analysis uses the defaults. */
export interface PlacementOptions {
  /** Clear space kept around detected text, as a fraction of the short side. Default 0.01. */
  textPadding?: number;
  /**
   * How far a line of text may run on past the ends the detector found, in line heights along its
   * long side: a word the network did not propose on the same baseline. That run-on is soft evidence
   * (weighed by the line's probability): a position clear of it wins over one on it, and a position
   * on it is still taken when every position is. Default LINE_RUN_ON.
   */
  lineRunOn?: number;
}

/**
 * Default run-on of a reported line, in its heights: none. `npm run measure:text-placement` on
 * synth:text seeds 21 and 23 (1200 images, 14,396 placements): once the unreported lines are evidence,
 * no run-on from 0.5 to 4 heights changes a single placement, though 2% of the lines found there have
 * ink more than 2.4 heights past an end; the smallest run-on among the best is kept.
 */
const LINE_RUN_ON = 0;

const DEFAULT_PLACEMENT_OPTIONS: Required<PlacementOptions> = {
  textPadding: 0.01,
  lineRunOn: LINE_RUN_ON,
};

/** Clearance counts up to this share of the short side; beyond that a position is simply free. */
const CLEARANCE_REACH = 0.1;
/**
 * A free position's score: a floor for fitting at all, then clearance from obstacles, then the
 * anchor's rank (clearance outweighs the order the anchors were listed in).
 */
const SCORE_WEIGHTS = { fits: 0.6, clearance: 0.3, preference: 0.1 } as const;
/** A place on text evidence scores at most this share less than it would clear of it. */
const EVIDENCE_PENALTY = 0.5;
/** The top of the subtitle band keeps this much less of the anchor's preference than its bottom. */
const SUBTITLE_RISE_COST = 0.5;
/**
 * Positions tried per line height as the subtitle band slides up: any free gap 1¼ lines tall holds
 * one of them. Finer steps not measured.
 */
const SUBTITLE_STEPS_PER_LINE = 4;
/**
 * Evidence and scores are sums of floats: differences this small are rounding, so within it two
 * places count as equal and the earlier one (anchor order) stays.
 */
const TIE_TOLERANCE = 1e-9;

interface Candidate {
  box: Box;
  anchor: PlacementAnchor;
  /** 1 for the most preferred position, falling towards 0 for the least. */
  preference: number;
}

interface Obstacle {
  box: Box;
  kind: 'text' | 'face';
}

/**
 * Most unreported candidate lines an image keeps as placement evidence (the likeliest). synth:text
 * images have at most 9 (seeds 21 and 23, 1200 images; median 0, 99th percentile 6), so this only
 * bounds what a stored analysis carries for a pathological texture (each line ~60 bytes of JSON).
 */
export const PLACEMENT_EVIDENCE_MAX = 16;

/** A box that may hold text, weighed by how likely it is (0..1). */
export interface TextEvidence extends Box {
  probability: number;
}

/**
 * What a placed box keeps clear of: reported text lines and faces block a position; `evidence`
 * (candidate lines the verifier did not report) only weighs against it, as does every line's run-on.
 */
export interface PlacementObstacles {
  text: Array<Box & { probability?: number }>;
  faces: Box[];
  evidence?: TextEvidence[];
}

/**
 * Finds where a box of the requested size can go without covering text or a face: the allowed
 * anchor positions are tried, blocked ones dropped; of the others those on the least text evidence
 * (summed probability of the soft evidence they touch) are kept, and of those the position farthest
 * from every obstacle and evidence wins (ties go to the anchor listed first). A miss covers text,
 * while a false alarm only moves the box to another place: so any evidence counts against a place.
 * Pure geometry: boxes in, box out.
 */
export function placeBox(image: Size, request: PlacementRequest, obstacles: PlacementObstacles, options: PlacementOptions = {}): PlacementResult {
  const opts = { ...DEFAULT_PLACEMENT_OPTIONS, ...options };
  const shortSide = Math.min(image.width, image.height);
  const size = { width: resolve(request.width, image.width), height: resolve(request.height, image.height) };
  const margin = Math.round(EDGE_MARGIN * shortSide);
  if (size.width + 2 * margin > image.width || size.height + 2 * margin > image.height) {
    return {
      fits: false,
      score: 0,
      reason: `a ${size.width}x${size.height} box with a ${margin} px margin is larger than the ${image.width}x${image.height} image`,
    };
  }
  if (request.anchors.length === 0) return { fits: false, score: 0, reason: 'no anchors allowed' };

  const blocking: Obstacle[] = [
    ...obstacles.text.map((b) => ({ box: pad(b, opts.textPadding * shortSide), kind: 'text' as const })),
    ...obstacles.faces.map((b) => ({ box: pad(b, FACE_PADDING * Math.max(b.w, b.h)), kind: 'face' as const })),
  ];
  const soft = softEvidence(obstacles, opts.lineRunOn, opts.textPadding * shortSide);
  const near = [...blocking, ...soft];
  const candidates = anchorCandidates(image, size, margin, request.anchors);
  let best: { candidate: Candidate; evidence: number; score: number } | undefined;
  const blockedBy = { text: 0, face: 0 };
  for (const candidate of candidates) {
    const hit = blocking.find((o) => intersection(candidate.box, o.box));
    if (hit) {
      blockedBy[hit.kind]++;
      continue;
    }
    const evidence = soft.reduce((sum, e) => sum + (intersection(candidate.box, e.box) ? e.probability : 0), 0);
    const clearance = Math.min(1, nearestDistance(candidate.box, near) / (CLEARANCE_REACH * shortSide));
    const score =
      (SCORE_WEIGHTS.fits + SCORE_WEIGHTS.clearance * clearance + SCORE_WEIGHTS.preference * candidate.preference) *
      (1 - EVIDENCE_PENALTY * Math.min(1, evidence));
    const better = !best || evidence < best.evidence - TIE_TOLERANCE || (evidence <= best.evidence + TIE_TOLERANCE && score > best.score + TIE_TOLERANCE);
    if (better) best = { candidate, evidence, score };
  }
  if (!best) {
    return {
      fits: false,
      score: 0,
      reason:
        `nothing fits: all ${candidates.length} positions at ${request.anchors.join(', ')} overlap ` +
        `${describeBlockers(blockedBy)}`,
    };
  }
  return { fits: true, score: roundScore(best.score), box: best.candidate.box, anchor: best.candidate.anchor };
}

function resolve(length: PlacementLength, extent: number): number {
  return 'px' in length ? Math.round(length.px) : Math.max(1, Math.round(length.fraction * extent));
}

/** Every position each anchor allows; the subtitle band slides upwards from the bottom margin. */
function anchorCandidates(image: Size, size: Size, margin: number, anchors: PlacementAnchor[]): Candidate[] {
  const left = margin;
  const right = image.width - margin - size.width;
  const centerX = Math.round((image.width - size.width) / 2);
  const top = margin;
  const bottom = image.height - margin - size.height;
  const fixed: Record<Exclude<PlacementAnchor, 'subtitle'>, [number, number]> = {
    'top-left': [left, top],
    'top-center': [centerX, top],
    'top-right': [right, top],
    'bottom-left': [left, bottom],
    'bottom-center': [centerX, bottom],
    'bottom-right': [right, bottom],
  };
  const place = (x: number, y: number): Box => ({ x, y, w: size.width, h: size.height });
  const out: Candidate[] = [];
  anchors.forEach((anchor, rank) => {
    const preference = anchors.length > 1 ? 1 - rank / (anchors.length - 1) : 1;
    if (anchor !== 'subtitle') {
      out.push({ box: place(...fixed[anchor]), anchor, preference });
      return;
    }
    const highest = Math.min(bottom, Math.round(SUBTITLE_BAND_TOP * image.height));
    const step = Math.max(1, Math.round(size.height / SUBTITLE_STEPS_PER_LINE));
    for (let y = bottom; y >= highest; y -= step) {
      // Lower in the band reads as a subtitle; each step up costs a little preference.
      out.push({ box: place(centerX, y), anchor, preference: preference * (1 - (SUBTITLE_RISE_COST * (bottom - y)) / Math.max(1, bottom - highest)) });
    }
  });
  return out;
}

/**
 * The soft evidence: each reported line grown along its long side by `runOn` of its height, and each
 * candidate the verifier did not report as it is; all padded like text.
 */
function softEvidence(obstacles: PlacementObstacles, runOn: number, padding: number): Array<{ box: Box; probability: number }> {
  const out: Array<{ box: Box; probability: number }> = [];
  for (const line of obstacles.text) if (runOn > 0) out.push({ box: pad(runOnExtent(line, runOn), padding), probability: line.probability ?? 1 });
  for (const e of obstacles.evidence ?? []) out.push({ box: pad(e, padding), probability: e.probability });
  return out;
}

/** A line box run on along its long side by `runOn` of its short side at both ends. */
export function runOnExtent(b: Box, runOn: number): Box {
  const by = runOn * Math.min(b.w, b.h);
  return b.w >= b.h ? { x: b.x - by, y: b.y, w: b.w + 2 * by, h: b.h } : { x: b.x, y: b.y - by, w: b.w, h: b.h + 2 * by };
}

function pad(b: Box, by: number): Box {
  return { x: b.x - by, y: b.y - by, w: b.w + 2 * by, h: b.h + 2 * by };
}

/** Shortest gap between `box` and any obstacle (Infinity when there are none). */
function nearestDistance(box: Box, obstacles: Array<{ box: Box }>): number {
  let nearest = Infinity;
  for (const { box: o } of obstacles) {
    const dx = Math.max(0, o.x - (box.x + box.w), box.x - (o.x + o.w));
    const dy = Math.max(0, o.y - (box.y + box.h), box.y - (o.y + o.h));
    nearest = Math.min(nearest, Math.hypot(dx, dy));
  }
  return nearest;
}

function describeBlockers(blockedBy: { text: number; face: number }): string {
  if (blockedBy.text && blockedBy.face) return 'detected text or a face';
  return blockedBy.face ? 'a face' : 'detected text';
}
