import type * as OpenCV from '@techstark/opencv-js';
import { type Box, coverage, iou } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { faceBoxFromNetwork, faceBoxFromWindow, FRONTAL_WINDOW_TO_FACE, imageFaceBoxFromNetwork } from './face-box.ts';
import { DEFAULT_FACE_SCAN_OPTIONS, type FaceCandidate, findFaceCandidates, type FaceScanOptions, type FaceView } from './face-candidates.ts';
import { type FaceEvidence, gatherFaceEvidence } from './face-verification.ts';
import type { NetworkFace } from './face-network.ts';
import type { KeyPoints } from './blazeface-decoder.ts';
import { meanChroma } from './skin-tone.ts';

export interface DetectedFace {
  /** Face box (eyebrows to chin, cheek to cheek), working px. */
  box: Box;
  view: FaceView;
  /** Confidence in [0,1]: how clearly its checks passed, raised when several scans agree on it. */
  strength: number;
}

export interface FaceDetectionOptions extends FaceScanOptions {
  /**
   * Share of skin-tone pixels in the face core that counts as skin. Default 0.4: the core of a face
   * in ordinary light is mostly skin (dev faces 0.48-1.0), with eyes, brows and shadow the rest;
   * under coloured bar light one measured 0.12, and it passes by three pattern checks. Skin only
   * ever decides together with a pattern check: on the negatives set (eval:negatives) no candidate
   * passes a pattern check, so there skin decides nothing.
   */
  minSkinRatio: number;
  /**
   * Raw windows of a cascade, re-run on the candidate's crop at a standard size, that make it a strong
   * hit. Default 30 frontal, 10 profile (the profile cascade fires more sparsely). Margins, network
   * candidates: on the 141 negatives the frontal count reaches 19 (the round logo on a thigh) and
   * the profile count 3; on the dev photos' non-faces 15 and 1; real faces that pass by this check
   * alone measure 31 and up (frontal), 10 and up (profile).
   */
  strongRescanWindows: Record<FaceView, number>;
  /** Mean chroma under which a photo counts as grey and skin tone is not judged. Default 12. */
  greyChroma: number;
  /**
   * Network score from which a network face is checked at all: the network's own floor (0.5, where
   * its sigmoid says "as likely a face as not"). Every face must still pass a pattern check.
   */
  minNetworkScore: number;
}

export const DEFAULT_FACE_DETECTION_OPTIONS: FaceDetectionOptions = {
  ...DEFAULT_FACE_SCAN_OPTIONS,
  minSkinRatio: 0.4,
  strongRescanWindows: { frontal: 30, profile: 10 },
  greyChroma: 12,
  minNetworkScore: 0.5,
};

interface CheckedFace {
  box: Box;
  view: FaceView;
  strength: number;
}

/**
 * Whether a candidate holds up as a face. The texture checks (a second, differently trained cascade
 * on the crop; eyes in its upper half; a strong re-scan by its own cascade) are correlated, since all
 * read the same grey pattern; skin tone is independent of them. So in a colour photo a face needs
 * skin and two texture checks; in a grey photo all three texture checks, which also hold a frontal
 * face on its own in colour (its skin may be out of range under coloured light). A profile has no
 * second cascade, so it needs skin, an eye and a strong re-scan.
 */
function isFace(view: FaceView, evidence: FaceEvidence, options: FaceDetectionOptions): boolean {
  const strong = evidence.rescanWindows >= options.strongRescanWindows[view];
  const eyes = evidence.eyes > 0;
  const texture = Number(evidence.secondCascade) + Number(eyes) + Number(strong);
  // Bar, stage or sunset light pushes real skin out of the skin-tone range.
  if (view === 'frontal' && texture === 3) return true;
  if (evidence.skin === undefined || evidence.skin < options.minSkinRatio) return false;
  return view === 'frontal' ? texture >= 2 : eyes && strong;
}

/**
 * Strength in [0,1]: the mean of how clearly each check passed (re-scan windows against twice the
 * strong count, eyes out of two, skin share, second cascade), so a face passing everything with
 * margin nears 1 and a bare pass sits near 0.5.
 */
function strengthOf(view: FaceView, evidence: FaceEvidence, options: FaceDetectionOptions): number {
  const rescan = Math.min(1, evidence.rescanWindows / (2 * options.strongRescanWindows[view]));
  const eyes = Math.min(evidence.eyes, 2) / 2;
  // A check that cannot be made (skin in a grey photo, a second profile cascade) counts halfway.
  const skin = evidence.skin ?? 0.5;
  const second = view === 'frontal' ? Number(evidence.secondCascade) : 0.5;
  return (rescan + eyes + skin + second) / 4;
}

/**
 * Whether a network face holds up. The network is one check; the others must read the face's own
 * pattern at its own scale, on a crop turned upright by the network's eye line: the second frontal
 * cascade, a strong re-scan by the frontal or by the profile cascade (on the crop and its mirror),
 * both eyes found by the eye cascade where the network put them. So every face holds up under the
 * network and one pattern check at least. Skin is never a check on its own (a bare arm is skin, and a
 * round logo on it scored as a face), but in a colour photo its absence counts against a face: a
 * face without skin in its core (coloured light, a mask, fur) needs a second pattern check. A grey
 * photo has no skin to judge either way.
 */
export function isNetworkFace(check: Pick<NetworkFaceCheck, 'evidence' | 'face'>, options: FaceDetectionOptions = DEFAULT_FACE_DETECTION_OPTIONS): boolean {
  const { evidence } = check;
  const patterns = frontalPatterns(check, options) + Number(evidence.profileWindows >= options.strongRescanWindows.profile);
  const skinOrGrey = evidence.skin === undefined || evidence.skin >= options.minSkinRatio;
  return patterns >= 2 || (patterns === 1 && skinOrGrey);
}

/** The pattern checks of a network face but the profile re-scan. */
function frontalPatterns(check: { evidence: Omit<FaceEvidence, 'profileWindows'>; face: NetworkFace }, options: FaceDetectionOptions): number {
  const { evidence } = check;
  const skin = evidence.skin !== undefined && evidence.skin >= options.minSkinRatio;
  return (
    Number(evidence.secondCascade) +
    Number(evidence.rescanWindows >= options.strongRescanWindows.frontal) +
    Number(evidence.eyesAtKeyPoints === 2) +
    Number(skin && isConfidentProfile(check.face))
  );
}

/**
 * A profile by the network's own key points: the eyes closed up (under MIN_EYE_SPAN_TO_TURN), the
 * nose past both of them on one side, an ear well behind them on the other, scored far above what
 * anything else of that shape scores. A profile shows one eye and no second frontal pattern, so the
 * frontal checks fail it by construction and the profile cascade (OpenCV's weakest) is left alone;
 * this stands in for it, and counts only with skin (so skin, the network's score and its key-point
 * geometry all agree). Margins, in network box widths: real profiles (dev photos, measured, not fitted)
 * nose 0.10-0.22 past the eyes, an ear 0.60-0.71 behind, scores 0.70-0.84; the 14 network
 * candidates of that shape on the negatives set (scored >= 0.3: pig, tiger, crane, fly, ...) score
 * up to 0.589, the dev photos' non-faces of that shape up to 0.505.
 */
export const PROFILE_KEY_POINTS = { minNoseBeyondEyes: 0.05, minEarBehindEyes: 0.5, minScore: 0.65 } as const;

export function isConfidentProfile(face: NetworkFace): boolean {
  const { rightEye, leftEye, nose, rightEar, leftEar } = face.keyPoints;
  if (face.score < PROFILE_KEY_POINTS.minScore) return false;
  if (eyesApart(face.keyPoints, face.w)) return false;
  const middle = (leftEye.x + rightEye.x) / 2;
  const facing = Math.sign(nose.x - middle);
  const noseBeyond = facing > 0 ? nose.x - Math.max(leftEye.x, rightEye.x) : Math.min(leftEye.x, rightEye.x) - nose.x;
  const earBehind = Math.max((middle - rightEar.x) * facing, (middle - leftEar.x) * facing);
  return noseBeyond >= PROFILE_KEY_POINTS.minNoseBeyondEyes * face.w && earBehind >= PROFILE_KEY_POINTS.minEarBehindEyes * face.w;
}

/**
 * Eye key points at least this far apart, in network box widths, give the line a face is turned
 * upright by. A frontal face's eyes are ~0.4 box widths apart (dev and positives 0.34-0.50); they
 * close up as the head turns and lie on one another in a profile, where the network guesses the
 * hidden eye. A key-point error of ~0.05 box widths on each eye turns the line of eyes 0.25 apart
 * by up to ~16°, the cascades' whole tolerance, so below that the line says nothing about tilt and
 * turning by it lost profiles (spans 0.01-0.20 turned by 34-90°, then no check fired).
 */
const MIN_EYE_SPAN_TO_TURN = 0.25;

/**
 * The frontal cascade's square window around a network face (the inverse of faceBoxFromWindow),
 * turned by the slope of the line through the network's two eye key points, so a network face is
 * checked on the same upright crop as a cascade's.
 */
function networkCandidate(face: Box, keyPoints: KeyPoints, networkWidth: number): FaceCandidate {
  const side = Math.max(face.w / FRONTAL_WINDOW_TO_FACE.width, face.h / FRONTAL_WINDOW_TO_FACE.height);
  const window = { x: face.x + face.w / 2 - side / 2, y: face.y + face.h / 2 - side / 2, w: side, h: side };
  return { window, view: 'frontal', neighbors: 0, mirrored: false, tilt: uprightTilt(keyPoints, networkWidth) };
}

/**
 * Degrees a network face is turned by to be upright for the cascades, and by which its box is
 * rolled in the image (imageFaceBoxFromNetwork): the slope of its eyes' line, when the eyes are apart
 * enough for it to mean something (MIN_EYE_SPAN_TO_TURN of the network box width); else 0. The key
 * points of a turned or profile face are the least sure, and turning by their slope can only lose a
 * face there. Every reliable slope is used, not only one beyond the cascades' ±15° tolerance: the
 * cascades find a face up to ~15° off upright, but with fewer windows the further it is (a face
 * rolled by 14°, eyes closed, re-scanned 21 windows as it was and 48 upright, and only then did the
 * second cascade fire). Turning every face by its eye line left face P/R, the negatives (0 false
 * faces of 141) and every crop hit rate but one the same, and that one went up (eval:crop, 7 Dec 2026).
 */
export function uprightTilt(keyPoints: Pick<KeyPoints, 'rightEye' | 'leftEye'>, networkWidth: number): number {
  const { rightEye, leftEye } = keyPoints;
  return eyesApart(keyPoints, networkWidth) ? (Math.atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x) * 180) / Math.PI : 0;
}

/** Whether the eye key points are MIN_EYE_SPAN_TO_TURN of the network box width apart or more. */
function eyesApart({ rightEye, leftEye }: Pick<KeyPoints, 'rightEye' | 'leftEye'>, networkWidth: number): boolean {
  return Math.hypot(leftEye.x - rightEye.x, leftEye.y - rightEye.y) >= MIN_EYE_SPAN_TO_TURN * networkWidth;
}

/** What a network face's checks found, on its own crop and around it. */
export interface NetworkFaceCheck {
  face: NetworkFace;
  /** The face box in the artmeta convention, upright (faceBoxFromNetwork), working px: what the checks crop. */
  box: Box;
  evidence: FaceEvidence;
}

/** Runs every check of one network face at the face's own scale. */
export function checkNetworkFace(
  scope: MatScope,
  gray: OpenCV.Mat,
  image: RgbImage,
  face: NetworkFace,
  colour: boolean,
  options: FaceDetectionOptions = DEFAULT_FACE_DETECTION_OPTIONS,
): NetworkFaceCheck {
  const box = faceBoxFromNetwork(face);
  // Two frontal patterns decide already: the profile re-scans could only add to a face that holds.
  const needsProfile = (evidence: Omit<FaceEvidence, 'profileWindows'>): boolean => frontalPatterns({ evidence, face }, options) < 2;
  const evidence = gatherFaceEvidence(scope, gray, image, networkCandidate(box, face.keyPoints, face.w), colour, face.keyPoints, needsProfile);
  return { face, box, evidence };
}

/**
 * Faces, verified, merged one per head, strongest first. With the face network's proposals
 * (`networkFaces`), each is checked by the cascades on its own crop at its own scale, and no cascade
 * scans the whole frame; without them (`undefined`: the network was not run) the frontal and
 * profile cascades scan the frame for candidates, each verified the same way.
 */
export function detectFaces(
  scope: MatScope,
  gray: OpenCV.Mat,
  image: RgbImage,
  options: FaceDetectionOptions = DEFAULT_FACE_DETECTION_OPTIONS,
  networkFaces?: readonly NetworkFace[],
): DetectedFace[] {
  const colour = meanChroma(image) >= options.greyChroma;
  const checked: CheckedFace[] = [];
  if (networkFaces === undefined) {
    for (const candidate of findFaceCandidates(scope, gray, options)) {
      const evidence = gatherFaceEvidence(scope, gray, image, candidate, colour);
      if (!isFace(candidate.view, evidence, options)) continue;
      checked.push({ box: faceBoxFromWindow(candidate), view: candidate.view, strength: strengthOf(candidate.view, evidence, options) });
    }
    return mergeSameFace(checked);
  }
  for (const face of networkFaces) {
    if (face.score < options.minNetworkScore) continue;
    const check = checkNetworkFace(scope, gray, image, face, colour, options);
    if (!isNetworkFace(check, options)) continue;
    const view: FaceView = check.evidence.profileWindows > check.evidence.rescanWindows ? 'profile' : 'frontal';
    const box = imageFaceBoxFromNetwork(face, uprightTilt(face.keyPoints, face.w));
    checked.push({ box, view, strength: (face.score + strengthOf('frontal', check.evidence, options)) / 2 });
  }
  return mergeSameFace(checked);
}

/**
 * Two boxes are one face when they overlap by IoU > 0.3 or one lies 60% inside the other: the
 * network's and the cascades' boxes of one face differ in convention and scale step, while two
 * neighbouring faces in a group overlap by far less.
 */
const SAME_FACE = { minIou: 0.3, minInside: 0.6 } as const;
/** Each further box of the same face raises its strength by up to 0.3 of what it lacks. */
const AGREEMENT_GAIN = 0.3;

function sameFace(a: Box, b: Box): boolean {
  return iou(a, b) > SAME_FACE.minIou || coverage(a, b) > SAME_FACE.minInside || coverage(b, a) > SAME_FACE.minInside;
}

/**
 * One face per head: the passes and both profile directions often fire on the same one, each box a
 * little off in its own way; their strength-weighted mean sits closer to the face than any one.
 */
function mergeSameFace(faces: CheckedFace[]): DetectedFace[] {
  const ranked = [...faces].sort((a, b) => b.strength - a.strength);
  const groups: CheckedFace[][] = [];
  for (const face of ranked) {
    const group = groups.find((g) => sameFace(g[0]!.box, face.box));
    if (group) group.push(face);
    else groups.push([face]);
  }
  const merged = groups.map((group): DetectedFace => {
    const lead = group[0]!;
    const weight = group.reduce((sum, f) => sum + f.strength, 0);
    const mean = (key: keyof Box): number => group.reduce((sum, f) => sum + f.box[key] * f.strength, 0) / weight;
    const agreeing = 1 - group.slice(1).reduce((rest, f) => rest * (1 - AGREEMENT_GAIN * f.strength), 1);
    return {
      box: { x: mean('x'), y: mean('y'), w: mean('w'), h: mean('h') },
      view: lead.view,
      strength: Math.min(1, lead.strength + (1 - lead.strength) * agreeing),
    };
  });
  return merged.sort((a, b) => b.strength - a.strength);
}
