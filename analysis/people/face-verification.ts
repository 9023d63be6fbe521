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
 * that eye and not the other one, an eyebrow or a nostril. Both eyes must be found so: of the 141
 * negatives' network candidates 12 show one eye at a key point (apes, birds, a cow), none both.
 */
const EYE_AT_KEY_POINT = 0.12;

/** Side the window is resampled to for the crop checks: eyes are then ~20 px, the eye cascade's window. */
const CHECK_FACE_SIZE = 96;
/** The crop around the window, in window sides: a quarter-window margin on each side, so a re-scan can find the face a little off. */
const CHECK_CROP_SIDES = 1.5;
/**
 * Sizes at which the re-scans look for the face, in window sides: 0.75-1.35, the spread of the
 * network's and the cascades' boxes around one face (a cascade's own pyramid step of 1.2 misses by
 * up to a factor 1.2 either way, plus the box conventions' differences).
 */
const RESCAN_SIZES = { min: 0.75, max: 1.35 } as const;
/**
 * Pyramid steps of the crop scans: 1.05 for the re-scans, whose raw window count is the measure
 * (a fine step gives a count that grows smoothly with how face-like the crop is); OpenCV's own
 * default of 1.1 for the second cascade and the eyes, which are asked yes or no.
 */
const RESCAN_STEP = 1.05;
const CHECK_STEP = 1.1;
/** Window sizes of every scan of a check crop (re-scans and second cascade), px of the crop. */
const CHECK_SIZES = { minSize: CHECK_FACE_SIZE * RESCAN_SIZES.min, maxSize: CHECK_FACE_SIZE * RESCAN_SIZES.max };
/** A re-scan: the raw window count at a fine step (no neighbours asked). */
const RESCAN_SETTINGS = { scaleFactor: RESCAN_STEP, minNeighbors: 0, ...CHECK_SIZES };
/**
 * A hit belongs to the face when its centre lies within this share of the face's width and height
 * of the face's centre: 0.3, under the half at which it would centre on a neighbouring face's edge.
 */
const SAME_PLACE_SHARE = 0.3;
/**
 * Where the eye cascade looks: the top 55% of the window (the eyes sit at 35-45% of a frontal
 * window's height), for eyes 0.12-0.4 window widths wide (an eye is ~0.2; the cascade's window
 * holds some brow and lid around it), with OpenCV's default 3 neighbours.
 */
const EYE_BAND = 0.55;
const EYE_SIZES = { min: 0.12, max: 0.4 } as const;
const EYE_NEIGHBOURS = 3;
/**
 * Where skin is measured: the middle half of the window across and 25-85% of it down — cheeks, nose
 * and mouth, not hair, background or beard shadow at the window's edges.
 */
const SKIN_CORE = { x: 0.25, y: 0.25, w: 0.5, h: 0.6 } as const;

/**
 * The candidate's window plus a quarter-window margin, turned upright by its tilt and scaled so the
 * window is CHECK_FACE_SIZE, equalised. Outside the image the crop is mid-grey.
 */
function faceCrop(scope: MatScope, gray: OpenCV.Mat, candidate: FaceCandidate): { mat: OpenCV.Mat; face: Box; toCrop: (p: Point) => Point } {
  const { window, tilt } = candidate;
  const k = CHECK_FACE_SIZE / window.w;
  const side = Math.round(CHECK_FACE_SIZE * CHECK_CROP_SIDES);
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
  return dx < b.w * SAME_PLACE_SHARE && dy < b.h * SAME_PLACE_SHARE;
}

/** Runs the cheap crop-level checks on one candidate. */
export function gatherFaceEvidence(
  scope: MatScope,
  gray: OpenCV.Mat,
  image: RgbImage,
  candidate: FaceCandidate,
  colour: boolean,
  keyPoints?: KeyPoints,
  withProfile: (frontal: Omit<FaceEvidence, 'profileWindows'>) => boolean = () => true,
): FaceEvidence {
  const crop = faceCrop(scope, gray, candidate);
  const s = CHECK_FACE_SIZE;
  let secondCascade = false;
  let rescanWindows: number;
  if (candidate.view === 'frontal') {
    secondCascade = near(scanCascade(scope, 'frontalFaceAlt2', crop.mat, { scaleFactor: CHECK_STEP, minNeighbors: 1, ...CHECK_SIZES }), crop.face).length > 0;
    rescanWindows = near(scanCascade(scope, 'frontalFace', crop.mat, RESCAN_SETTINGS), crop.face).length;
  } else {
    rescanWindows = profileRescan(scope, crop, candidate.mirrored).length;
  }
  const upper = scope.track(
    crop.mat.roi(new (cv().Rect)(Math.round(crop.face.x), Math.round(crop.face.y), Math.round(crop.face.w), Math.round(crop.face.h * EYE_BAND))),
  );
  const eyeHits = scanCascade(scope, 'eye', upper, { scaleFactor: CHECK_STEP, minNeighbors: EYE_NEIGHBOURS, minSize: s * EYE_SIZES.min, maxSize: s * EYE_SIZES.max });
  const w = candidate.window;
  const core = { x: w.x + w.w * SKIN_CORE.x, y: w.y + w.h * SKIN_CORE.y, w: w.w * SKIN_CORE.w, h: w.h * SKIN_CORE.h };
  const frontal = {
    secondCascade,
    eyes: eyeHits.length,
    skin: colour ? skinRatio(image, core) : undefined,
    rescanWindows,
    eyesAtKeyPoints: keyPoints ? eyesNearKeyPoints(eyeHits, [crop.toCrop(keyPoints.rightEye), crop.toCrop(keyPoints.leftEye)], crop.face) : 0,
  };
  // A network face (its view unknown) is also re-scanned by the profile cascade, both ways, unless
  // the caller already has what it needs from the frontal checks (two profile scans cost about as
  // much as all the others).
  const profileWindows =
    keyPoints && candidate.view === 'frontal' && withProfile(frontal)
      ? Math.max(profileRescan(scope, crop, false).length, profileRescan(scope, crop, true).length)
      : 0;
  return { ...frontal, profileWindows };
}

function near(hits: CascadeHit[], face: Box): CascadeHit[] {
  return hits.filter((h) => isNear(h.box, face));
}

/** Profile-cascade windows around the face on the crop (or its mirror: a profile looking the other way). */
function profileRescan(scope: MatScope, crop: { mat: OpenCV.Mat; face: Box }, mirrored: boolean): CascadeHit[] {
  const face = mirrored ? scope.track(new (cv().Mat)()) : crop.mat;
  if (mirrored) cv().flip(crop.mat, face, 1);
  const faceBox = mirrored ? { ...crop.face, x: crop.mat.cols - crop.face.x - crop.face.w } : crop.face;
  return near(scanCascade(scope, 'profileFace', face, RESCAN_SETTINGS), faceBox);
}

/** Eye hits (in the crop's upper face) within EYE_AT_KEY_POINT of the network's eyes (crop px). */
function eyesNearKeyPoints(hits: readonly CascadeHit[], eyes: readonly Point[], face: Box): number {
  const reach = EYE_AT_KEY_POINT * face.w;
  return eyes.filter((eye) =>
    hits.some((h) => Math.hypot(face.x + h.box.x + h.box.w / 2 - eye.x, face.y + h.box.y + h.box.h / 2 - eye.y) <= reach),
  ).length;
}
