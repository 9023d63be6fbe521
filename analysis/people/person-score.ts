import { type Box, type Size, area, center } from '../geometry/box.ts';

/**
 * How much each cue weighs in the interest score; they sum to 1. Size 0.4: bigger people draw the
 * eye first. Sharpness 0.25: a person in focus is the subject, a blurred one is background. Position
 * 0.1: photographers put the subject near the centre. Strength 0.25: a surer detection is more
 * likely a real person.
 */
const PERSON_SCORE_WEIGHTS = { size: 0.4, sharpness: 0.25, position: 0.1, strength: 0.25 } as const;

export interface PersonScoreInput {
  /** The face when there is one (it is what a viewer looks at), else the person box. */
  focus: Box;
  /** Mean |Laplacian| of the focus region at a fixed sample size (regionSharpness). */
  sharpness: number;
  /** Detection strength in [0,1]. */
  strength: number;
  image: Size;
  /** Side (√area) of the largest focus among the image's people. */
  largestFocus: number;
}

/** Mean |Laplacian| at which sharpness scores 0.5: between a blurred (~2) and a crisp (~15) face. */
const HALF_SHARPNESS = 6;
/** Face side, as a share of the image's short side, at which the size cue saturates. */
const FULL_SIZE_SHARE = 0.35;

/**
 * Interest score in [0,1], the weighted sum of four cues each in [0,1]:
 * - size: side (√area) of the focus relative to the largest person's in the image, or to
 *   FULL_SIZE_SHARE of the short side when that is smaller, capped at 1 — people are compared with
 *   each other, so a row of small figures is ranked by size as clearly as a row of close-ups;
 * - sharpness: s / (s + HALF_SHARPNESS), saturating so a crisp face is not outweighed by noise;
 * - position: 1 at the centre, falling linearly to 0 at the corners;
 * - strength: the detection strength as given.
 */
export function personScore(input: PersonScoreInput): number {
  const weights = PERSON_SCORE_WEIGHTS;
  const { focus, image } = input;
  const shortSide = Math.min(image.width, image.height);
  const reference = Math.min(input.largestFocus, FULL_SIZE_SHARE * shortSide);
  const size = reference > 0 ? Math.min(1, Math.sqrt(area(focus)) / reference) : 0;
  const sharpness = input.sharpness / (input.sharpness + HALF_SHARPNESS);
  const c = center(focus);
  const dx = (c.x - image.width / 2) / (image.width / 2);
  const dy = (c.y - image.height / 2) / (image.height / 2);
  const position = Math.max(0, 1 - Math.hypot(dx, dy) / Math.SQRT2);
  const total =
    weights.size * size + weights.sharpness * sharpness + weights.position * position + weights.strength * input.strength;
  const sum = weights.size + weights.sharpness + weights.position + weights.strength;
  return sum > 0 ? Math.min(1, Math.max(0, total / sum)) : 0;
}
