import type { Box } from '../geometry/box.ts';

export type Shot = 'close-up' | 'upper-body' | 'full-body';

export interface ShotEvidence {
  face?: Box;
  hasFullBody: boolean;
  /** Face heights from the top of the face down to where the person stops being seen (bodyDepth). */
  depth: number;
}

/**
 * Depth, in face heights from the eyebrows, up to which a person shows no more than head and
 * shoulders. Measured by eye on the dev photos: people seen to the shoulders give 1.0-1.9, to the
 * chest or waist 2.9 and up.
 */
const CLOSE_UP_FACE_HEIGHTS = 2.5;
/**
 * …from which the whole body is in view: the knees are about 7 face heights below the eyebrows,
 * the feet about 9.5, for a standing person. On the dev and check photos, people standing in view
 * head to foot give 8.9-9.5, people cut at the thigh 4-7; a crouching one seen whole gives 6.3.
 */
const FULL_BODY_FACE_HEIGHTS = 8;

/**
 * Framing of one person, in film terms: how much of the person is in view below their face. Full
 * body with a full-body detection or at a depth of 8 face heights; close-up under 2.5; upper body in
 * between. The body cascades confirm rarely (they are pedestrian detectors: on the dev photos the
 * full-body one fires on none of the people), so the depth is the evidence that is always there.
 * A faceless person is known only from a full body.
 */
export function shotType(e: ShotEvidence): Shot {
  if (e.hasFullBody || !e.face) return 'full-body';
  if (e.depth >= FULL_BODY_FACE_HEIGHTS) return 'full-body';
  return e.depth < CLOSE_UP_FACE_HEIGHTS ? 'close-up' : 'upper-body';
}
