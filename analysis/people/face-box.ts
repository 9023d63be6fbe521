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

export const FRONTAL_WINDOW_TO_FACE = WINDOW_TO_FACE.frontal;

/**
 * BlazeFace boxes are squares from brow to mouth; the face convention reaches up to the forehead and
 * down to the chin, and not quite to the ears. Median geometry of the network's boxes against the
 * dev set's checked face boxes (33 faces; quartiles of the ratios: width 0.81-0.94, height 1.09-1.25,
 * centre shift 0.08-0.14 of the height upwards).
 */
const NETWORK_TO_FACE = { width: 0.88, height: 1.14, shiftY: -0.11 } as const;

export function faceBoxFromNetwork(box: Box): Box {
  const w = box.w * NETWORK_TO_FACE.width;
  const h = box.h * NETWORK_TO_FACE.height;
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2 + NETWORK_TO_FACE.shiftY * box.h;
  return { x: cx - w / 2, y: cy - h / 2, w, h };
}

export function faceBoxFromWindow(candidate: Pick<FaceCandidate, 'window' | 'view' | 'mirrored' | 'tilt'>): Box {
  const { window } = candidate;
  const k = WINDOW_TO_FACE[candidate.view];
  const shift = k.shiftX * window.w * (candidate.mirrored ? -1 : 1);
  const w = window.w * k.width;
  const h = window.h * k.height;
  const upright = { x: window.x + (window.w - w) / 2 + shift, y: window.y + (window.h - h) / 2, w, h };
  return candidate.tilt === 0 ? upright : tiltedBounds(upright, window, candidate.tilt);
}

/**
 * Axis-aligned bounds of a tilted face. `box` is the face in its own upright frame; it is turned
 * back about the window centre. A tilted face box reaches further than its upright size, but only
 * its corners do, so the bounds are taken of the inscribed ellipse, not of the corners.
 */
function tiltedBounds(box: Box, window: Box, tilt: number): Box {
  const rad = (tilt * Math.PI) / 180;
  const cx = window.x + window.w / 2;
  const cy = window.y + window.h / 2;
  // The upright frame is the image turned by R = [[cos, sin], [-sin, cos]]; Rᵀ turns it back.
  const bx = box.x + box.w / 2 - cx;
  const by = box.y + box.h / 2 - cy;
  const centreX = cx + bx * Math.cos(rad) - by * Math.sin(rad);
  const centreY = cy + bx * Math.sin(rad) + by * Math.cos(rad);
  const a = box.w / 2;
  const b = box.h / 2;
  const halfW = Math.hypot(a * Math.cos(rad), b * Math.sin(rad));
  const halfH = Math.hypot(a * Math.sin(rad), b * Math.cos(rad));
  return { x: centreX - halfW, y: centreY - halfH, w: 2 * halfW, h: 2 * halfH };
}
