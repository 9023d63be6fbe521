import type { Box } from '../geometry/box.ts';

export type Shot = 'close-up' | 'upper-body' | 'full-body';

export interface ShotEvidence {
  face?: Box;
  /** Person box: union of face and body evidence (before any extrapolation). */
  box: Box;
  hasUpperBody: boolean;
  hasFullBody: boolean;
  imageHeight: number;
}

/** A standing adult is about 7-8 face heights tall; 4.5 already means legs are in view. */
const FULL_BODY_FACE_HEIGHTS = 4.5;
/** A face this large a share of the frame height is a close-up even without a body in sight. */
const CLOSE_UP_FRAME_SHARE = 0.2;

/**
 * Framing of one person, in film terms. Full body when a full-body detection exists or the
 * evidence is at least 4.5 face heights tall; close-up when the person is essentially a face (no
 * body evidence and the face fills a fifth of the frame height or more); otherwise upper body.
 */
export function shotType(e: ShotEvidence): Shot {
  if (e.hasFullBody) return 'full-body';
  if (e.face && e.box.h >= FULL_BODY_FACE_HEIGHTS * e.face.h) return 'full-body';
  if (e.hasUpperBody || !e.face) return 'upper-body';
  return e.face.h >= CLOSE_UP_FRAME_SHARE * e.imageHeight ? 'close-up' : 'upper-body';
}
