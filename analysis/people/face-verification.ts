import type * as OpenCV from '@techstark/opencv-js';
import type { Box, Point } from '../geometry/box.ts';
import type { KeyPoints } from './blazeface-decoder.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import { type CascadeHit, scanCascade } from './cascade-scan.ts';
import type { FaceCandidate } from './face-candidates.ts';
import { skinRatio } from './skin-tone.ts';

/** Independent evidence about one candidate; a face must hold up under more than one. */
export interface FaceEvidence {
  /** A second, differently trained face cascade fires on the crop at about the same place and size. */
  secondCascade: boolean;
  /** Eyes the eye cascade finds in the upper half of the window. */
  eyes: number;
  /** Share of skin-tone pixels in the face core; undefined for grey images (no colour to judge). */
  skin: number | undefined;
  /**
   * Raw windows of the candidate's own cascade around the face when re-run on the crop at a fine
   * scale step and a standard face size: a strength that does not depend on the scan resolution.
   */
  rescanWindows: number;
  /**
   * The same for the profile cascade, on the crop and its mirror (the more of the two), for a
   * network face, whose view is not known; 0 for a cascade candidate.
   */
  profileWindows: number;
  /** Eyes found where the network put them (within EYE_AT_KEY_POINT of a key point); 0 without key points. */
  eyesAtKeyPoints: number;
}

/**
 * How near an eye-cascade hit's centre must be to the network's eye key point, in face-window
 * widths, to count as that eye: eyes are ~0.25 window widths apart, so a hit nearer than 0.12 is
 * that eye and not the other one, an eyebrow or a nostril.
 */
export const EYE_AT_KEY_POINT = 0.12;

/** Side the window is resampled to for the crop checks: eyes are then ~20 px, the eye cascade's window. */
const CHECK_FACE_SIZE = 96;

/**
 * The candidate's window plus a quarter-window margin, turned upright by its tilt and scaled so the
 * window is CHECK_FACE_SIZE, equalised. Outside the image the crop is mid-grey.
 */
function faceCrop(scope: MatScope, gray: OpenCV.Mat, candidate: FaceCandidate): { mat: OpenCV.Mat; face: Box; toCrop: (p: Point) => Point } {
  const { window, tilt } = candidate;
  const k = CHECK_FACE_SIZE / window.w;
  const side = Math.round(CHECK_FACE_SIZE * 1.5);
  const centre = new (cv().Point)(window.x + window.w / 2, window.y + window.h / 2);
  const transform = scope.track(cv().getRotationMatrix2D(centre, tilt, k));
  transform.doublePtr(0, 2)[0] = transform.doubleAt(0, 2) + side / 2 - centre.x;
  transform.doublePtr(1, 2)[0] = transform.doubleAt(1, 2) + side / 2 - centre.y;
  const upright = scope.track(new (cv().Mat)());
  cv().warpAffine(gray, upright, transform, new (cv().Size)(side, side), cv().INTER_LINEAR, cv().BORDER_CONSTANT, new (cv().Scalar)(128));
  const equalized = scope.track(new (cv().Mat)());
  cv().equalizeHist(upright, equalized);
  const offset = (side - CHECK_FACE_SIZE) / 2;
  const [a, b, c, d, e, f] = [0, 1, 2].flatMap((col) => [transform.doubleAt(0, col), transform.doubleAt(1, col)]) as [number, number, number, number, number, number];
  const toCrop = (p: Point): Point => ({ x: a * p.x + c * p.y + e, y: b * p.x + d * p.y + f });
  return { mat: equalized, face: { x: offset, y: offset, w: CHECK_FACE_SIZE, h: CHECK_FACE_SIZE }, toCrop };
}

function isNear(a: Box, b: Box): boolean {
  const dx = Math.abs(a.x + a.w / 2 - (b.x + b.w / 2));
  const dy = Math.abs(a.y + a.h / 2 - (b.y + b.h / 2));
  return dx < b.w * 0.3 && dy < b.h * 0.3;
}

/** Runs the cheap crop-level checks on one candidate. */
export function gatherFaceEvidence(
  scope: MatScope,
  gray: OpenCV.Mat,
  image: RgbImage,
  candidate: FaceCandidate,
  colour: boolean,
  keyPoints?: KeyPoints,
): FaceEvidence {
  const crop = faceCrop(scope, gray, candidate);
  const s = CHECK_FACE_SIZE;
  const near = (hits: CascadeHit[], face: Box): CascadeHit[] => hits.filter((h) => isNear(h.box, face));
  const sizes = { minSize: s * 0.75, maxSize: s * 1.35 };
  const rescanSettings = { scaleFactor: 1.05, minNeighbors: 0, ...sizes };
  const profileRescan = (mirrored: boolean): CascadeHit[] => {
    const face = mirrored ? scope.track(new (cv().Mat)()) : crop.mat;
    if (mirrored) cv().flip(crop.mat, face, 1);
    const faceBox = mirrored ? { ...crop.face, x: crop.mat.cols - crop.face.x - crop.face.w } : crop.face;
    return near(scanCascade(scope, 'profileFace', face, rescanSettings), faceBox);
  };
  let secondCascade = false;
  let rescanWindows: number;
  let profileWindows = 0;
  if (candidate.view === 'frontal') {
    secondCascade = near(scanCascade(scope, 'frontalFaceAlt2', crop.mat, { scaleFactor: 1.1, minNeighbors: 1, ...sizes }), crop.face).length > 0;
    rescanWindows = near(scanCascade(scope, 'frontalFace', crop.mat, rescanSettings), crop.face).length;
    if (keyPoints) profileWindows = Math.max(profileRescan(false).length, profileRescan(true).length);
  } else {
    rescanWindows = profileRescan(candidate.mirrored).length;
  }
  const upper = scope.track(
    crop.mat.roi(new (cv().Rect)(Math.round(crop.face.x), Math.round(crop.face.y), Math.round(crop.face.w), Math.round(crop.face.h * 0.55))),
  );
  const eyeHits = scanCascade(scope, 'eye', upper, { scaleFactor: 1.1, minNeighbors: 3, minSize: s * 0.12, maxSize: s * 0.4 });
  const w = candidate.window;
  const core = { x: w.x + w.w * 0.25, y: w.y + w.h * 0.25, w: w.w * 0.5, h: w.h * 0.6 };
  return {
    secondCascade,
    eyes: eyeHits.length,
    skin: colour ? skinRatio(image, core) : undefined,
    rescanWindows,
    profileWindows,
    eyesAtKeyPoints: keyPoints ? eyesNearKeyPoints(eyeHits, [crop.toCrop(keyPoints.rightEye), crop.toCrop(keyPoints.leftEye)], crop.face) : 0,
  };
}

/** Eye hits (in the crop's upper face) within EYE_AT_KEY_POINT of the network's eyes (crop px). */
function eyesNearKeyPoints(hits: readonly CascadeHit[], eyes: readonly Point[], face: Box): number {
  const reach = EYE_AT_KEY_POINT * face.w;
  return eyes.filter((eye) =>
    hits.some((h) => Math.hypot(face.x + h.box.x + h.box.w / 2 - eye.x, face.y + h.box.y + h.box.h / 2 - eye.y) <= reach),
  ).length;
}
