import type * as OpenCV from '@techstark/opencv-js';
import { type Box, clamp } from '../geometry/box.ts';
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
}

/** Side the window is resampled to for the crop checks: eyes are then ~20 px, the eye cascade's window. */
const CHECK_FACE_SIZE = 96;

/** Crops the window plus a margin from the working grey image, scaled so the window is CHECK_FACE_SIZE. */
function faceCrop(scope: MatScope, gray: OpenCV.Mat, window: Box): { mat: OpenCV.Mat; face: Box } {
  const margin = window.w * 0.25;
  const x0 = clamp(Math.round(window.x - margin), 0, gray.cols - 1);
  const y0 = clamp(Math.round(window.y - margin), 0, gray.rows - 1);
  const x1 = clamp(Math.round(window.x + window.w + margin), x0 + 1, gray.cols);
  const y1 = clamp(Math.round(window.y + window.h + margin), y0 + 1, gray.rows);
  const roi = gray.roi(new (cv().Rect)(x0, y0, x1 - x0, y1 - y0));
  scope.track(roi);
  const k = CHECK_FACE_SIZE / window.w;
  const resized = scope.track(new (cv().Mat)());
  cv().resize(roi, resized, new (cv().Size)(Math.max(1, Math.round((x1 - x0) * k)), Math.max(1, Math.round((y1 - y0) * k))), 0, 0, cv().INTER_LINEAR);
  const equalized = scope.track(new (cv().Mat)());
  cv().equalizeHist(resized, equalized);
  return { mat: equalized, face: { x: (window.x - x0) * k, y: (window.y - y0) * k, w: window.w * k, h: window.h * k } };
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
): FaceEvidence {
  const crop = faceCrop(scope, gray, candidate.window);
  const s = CHECK_FACE_SIZE;
  const near = (hits: CascadeHit[], face: Box): CascadeHit[] => hits.filter((h) => isNear(h.box, face));
  const sizes = { minSize: s * 0.75, maxSize: s * 1.35 };
  let secondCascade = false;
  let rescan: CascadeHit[];
  if (candidate.view === 'frontal') {
    secondCascade = near(scanCascade(scope, 'frontalFaceAlt2', crop.mat, { scaleFactor: 1.1, minNeighbors: 1, ...sizes }), crop.face).length > 0;
    rescan = near(scanCascade(scope, 'frontalFace', crop.mat, { scaleFactor: 1.05, minNeighbors: 0, ...sizes }), crop.face);
  } else {
    const face = candidate.mirrored ? scope.track(new (cv().Mat)()) : crop.mat;
    if (candidate.mirrored) cv().flip(crop.mat, face, 1);
    const faceBox = candidate.mirrored ? { ...crop.face, x: crop.mat.cols - crop.face.x - crop.face.w } : crop.face;
    rescan = near(scanCascade(scope, 'profileFace', face, { scaleFactor: 1.05, minNeighbors: 0, ...sizes }), faceBox);
  }
  const upper = scope.track(
    crop.mat.roi(new (cv().Rect)(Math.round(crop.face.x), Math.round(crop.face.y), Math.round(crop.face.w), Math.round(crop.face.h * 0.55))),
  );
  const eyes = scanCascade(scope, 'eye', upper, { scaleFactor: 1.1, minNeighbors: 3, minSize: s * 0.12, maxSize: s * 0.4 }).length;
  const w = candidate.window;
  const core = { x: w.x + w.w * 0.25, y: w.y + w.h * 0.25, w: w.w * 0.5, h: w.h * 0.6 };
  return { secondCascade, eyes, skin: colour ? skinRatio(image, core) : undefined, rescanWindows: rescan.length };
}
