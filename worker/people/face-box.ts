import type { Box } from '../geometry/box.ts';
import type { FaceCandidate } from './face-candidates.ts';

/**
 * Haar windows are squares with margins that differ per cascade; artmeta reports faces in one
 * convention: eyebrows/forehead to chin, cheek to cheek (the usual face-detector box). These factors
 * map each cascade's window to it (median geometry of windows against hand-checked face boxes):
 * frontal windows are wider than a face, profile windows hold the back of the head too, so a
 * profile's face sits towards the side the face looks at.
 */
const WINDOW_TO_FACE = {
  frontal: { width: 0.78, height: 1.03, shiftX: 0 },
  profile: { width: 0.63, height: 0.84, shiftX: -0.07 },
} as const;

export function faceBoxFromWindow(candidate: Pick<FaceCandidate, 'window' | 'view' | 'mirrored'>): Box {
  const { window } = candidate;
  const k = WINDOW_TO_FACE[candidate.view];
  const shift = k.shiftX * window.w * (candidate.mirrored ? -1 : 1);
  const w = window.w * k.width;
  const h = window.h * k.height;
  return { x: window.x + (window.w - w) / 2 + shift, y: window.y + (window.h - h) / 2, w, h };
}
