import type { Box, Point } from '../geometry/box.ts';
import type { LandmarkedBox } from './blazeface-decoder.ts';
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

/**
 * The network's box side from its key points, for an upright face: ear to ear 0.904 of the side,
 * eyes' midpoint to mouth 0.434 (medians over the upright faces, |roll| ≤ 12°, score ≥ 0.8, of
 * photos outside the dev set: @vladmandic/face-api 1.7.15's demo sample3 and sample4, opencv-doc's
 * basketball1; ranges 0.857-0.923 and 0.417-0.464; `npm run faces:roll`). The box itself shrinks as
 * a face rolls: the same five faces turned in the image by ±45° got boxes of 0.79-1.02 of their
 * upright side (median 0.87). Each cue shrinks under one turn of the head — ears closer as it turns
 * aside (yaw), eyes closer to the mouth as it nods (pitch), the box as it rolls — and none grows with
 * a pose, so the face's size is the largest of the three: 0.90-1.12 of upright (median 1.00) over
 * every turn from -45° to 45°.
 */
export const KEY_POINT_SIDE = { earSpan: 0.904, eyesToMouth: 0.434 } as const;

/** The side a network face would have upright and unturned: the largest of its three size cues (KEY_POINT_SIDE). */
export function networkFaceSide(face: Pick<LandmarkedBox, 'w' | 'keyPoints'>): number {
  const { rightEye, leftEye, mouth, rightEar, leftEar } = face.keyPoints;
  const earSpan = Math.hypot(leftEar.x - rightEar.x, leftEar.y - rightEar.y);
  const eyesToMouth = Math.hypot((leftEye.x + rightEye.x) / 2 - mouth.x, (leftEye.y + rightEye.y) / 2 - mouth.y);
  return Math.max(face.w, earSpan / KEY_POINT_SIDE.earSpan, eyesToMouth / KEY_POINT_SIDE.eyesToMouth);
}

/**
 * A network face in the face convention as a crop sees it: the face upright, the network box's
 * centre and side mapped by NETWORK_TO_FACE. The checks run on this box turned upright.
 */
export function faceBoxFromNetwork(box: Box): Box {
  const w = box.w * NETWORK_TO_FACE.width;
  const h = box.h * NETWORK_TO_FACE.height;
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2 + NETWORK_TO_FACE.shiftY * box.h;
  return { x: cx - w / 2, y: cy - h / 2, w, h };
}

/**
 * A network face in the face convention as the image holds it: the upright face of the size its key
 * points give (networkFaceSide), shifted towards the forehead along the face's own axis and turned by
 * its roll (`roll` degrees, the eye line's slope, 0 when that line says nothing), then bounded as a
 * tilted cascade face is (tiltedBounds). A face rolled by 45° reaches ~1.2 of its upright width to
 * each side; the network's own box shrinks instead.
 */
export function imageFaceBoxFromNetwork(face: Pick<LandmarkedBox, 'x' | 'y' | 'w' | 'h' | 'keyPoints'>, roll: number): Box {
  const side = networkFaceSide(face);
  const w = side * NETWORK_TO_FACE.width;
  const h = side * NETWORK_TO_FACE.height;
  const rad = (roll * Math.PI) / 180;
  // The face's upward axis in image px (y down) is (sin, -cos) of its roll.
  const up = -NETWORK_TO_FACE.shiftY * side;
  const cx = face.x + face.w / 2 + up * Math.sin(rad);
  const cy = face.y + face.h / 2 - up * Math.cos(rad);
  return turnedBounds({ x: cx, y: cy }, w, h, roll);
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
 * back about the window centre.
 */
function tiltedBounds(box: Box, window: Box, tilt: number): Box {
  const rad = (tilt * Math.PI) / 180;
  const cx = window.x + window.w / 2;
  const cy = window.y + window.h / 2;
  // The upright frame is the image turned by R = [[cos, sin], [-sin, cos]]; Rᵀ turns it back.
  const bx = box.x + box.w / 2 - cx;
  const by = box.y + box.h / 2 - cy;
  const centre = { x: cx + bx * Math.cos(rad) - by * Math.sin(rad), y: cy + bx * Math.sin(rad) + by * Math.cos(rad) };
  return turnedBounds(centre, box.w, box.h, tilt);
}

/**
 * Bounds of a w × h face about `centre` turned by `degrees`. A tilted face box reaches further than
 * its upright size, but only its corners do, so the bounds are taken of the inscribed ellipse, not of
 * the corners.
 */
function turnedBounds(centre: Point, w: number, h: number, degrees: number): Box {
  const rad = (degrees * Math.PI) / 180;
  const a = w / 2;
  const b = h / 2;
  const halfW = Math.hypot(a * Math.cos(rad), b * Math.sin(rad));
  const halfH = Math.hypot(a * Math.sin(rad), b * Math.cos(rad));
  return { x: centre.x - halfW, y: centre.y - halfH, w: 2 * halfW, h: 2 * halfH };
}
