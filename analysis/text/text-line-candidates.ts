import type { RgbImage } from '../image/rgb-image.ts';
import { type DbBox, type DbOptions, dbBoxes, PADDLE_DB_OPTIONS } from './db-postprocess.ts';
import { inkExtent } from './ink-extent.ts';
import { DEFAULT_LINE_JOINING, joinLines, type LineJoiningOptions, type ScoredBox } from './line-joining.ts';
import { type ProbabilityMap, type TextNetworkPrecision, textProbabilityMap } from './text-detector-network.ts';

/** A line the network proposes: joined DB boxes, axis-aligned in image px, with DB's mean score. */
export interface LineCandidate extends ScoredBox {
  members: DbBox[];
}

export interface CandidateOptions {
  /** Long side of the network input, px (PaddleOCR's det_limit_side_len, limit type "max"). */
  limitSide: number;
  /** Smaller images are enlarged to this long side for the network (0: never, as PaddleOCR); see networkInputSize. */
  minLongSide: number;
  /** PaddleOCR's fp32 network, or its int8 form in models/ (see text-detector-network.ts). */
  precision: TextNetworkPrecision;
  db: DbOptions;
  joining: LineJoiningOptions;
  /** Shrink each DB box to its glyph ink before joining (see inkExtent); PaddleOCR itself does not. */
  tightenToInk: boolean;
}

/** PaddleOCR's own inference settings (det_limit_side_len 960): the peer artmeta is measured against. */
export const PADDLE_CANDIDATE_OPTIONS: CandidateOptions = { limitSide: 960, minLongSide: 0, precision: 'fp32', db: PADDLE_DB_OPTIONS, joining: DEFAULT_LINE_JOINING, tightenToInk: false };

/**
 * PP-OCR det on the whole image, DB's boxes joined into lines, with the map they came from.
 * OpenCV must be loaded.
 */
export async function textLineCandidates(image: RgbImage, options: CandidateOptions): Promise<{ map: ProbabilityMap; lines: LineCandidate[] }> {
  const map = await networkMap(image, options);
  return { map, lines: linesOfMap(image, map, options) };
}

/** The network's map of the image, enlarged for the network when it is under `minLongSide`; scales refer to `image`. */
export function networkMap(image: RgbImage, options: Pick<CandidateOptions, 'limitSide' | 'minLongSide' | 'precision'>): Promise<ProbabilityMap> {
  return textProbabilityMap(image, options.limitSide, options.precision, options.minLongSide);
}

/** The candidate lines of a map already computed (DB boxes, tightened to ink if asked, joined). OpenCV must be loaded. */
export function linesOfMap(image: RgbImage, map: ProbabilityMap, options: Pick<CandidateOptions, 'db' | 'joining' | 'tightenToInk'>): LineCandidate[] {
  const boxes = dbBoxes(map, options.db).map((b) => (options.tightenToInk ? { ...b, ...inkExtent(image, b) } : b));
  return joinLines(boxes, options.joining);
}

/**
 * artmeta's candidate stage: a smaller input than PaddleOCR's (speed), and a lower box threshold
 * than DB's 0.6, since the verifier, not the map's mean, decides which lines stay.
 */
export const ARTMETA_CANDIDATE_OPTIONS: CandidateOptions = {
  limitSide: 736,
  // Every image reaches the network at the same long side: a thumbnail costs no more than a large
  // image, and its lines are no longer a few px. On synth:text (600 images, a third under 560 px,
  // verifier fitted before) line recall 0.811 → 0.851, Hmean 0.867 → 0.886.
  minLongSide: 736,
  precision: 'int8',
  db: { ...PADDLE_DB_OPTIONS, boxThreshold: 0.5 },
  joining: DEFAULT_LINE_JOINING,
  tightenToInk: true,
};
