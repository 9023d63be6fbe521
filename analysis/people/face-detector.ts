import type * as OpenCV from '@techstark/opencv-js';
import { type Box, coverage, iou } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { detectUpperBodyAround } from './body-detector.ts';
import { faceBoxFromNetwork, faceBoxFromWindow, FRONTAL_WINDOW_TO_FACE } from './face-box.ts';
import { DEFAULT_FACE_SCAN_OPTIONS, type FaceCandidate, findFaceCandidates, type FaceScanOptions, type FaceView } from './face-candidates.ts';
import { type FaceEvidence, gatherFaceEvidence } from './face-verification.ts';
import type { NetworkFace } from './face-network.ts';
import { meanChroma } from './skin-tone.ts';

export interface DetectedFace {
  /** Face box (eyebrows to chin, cheek to cheek), working px. */
  box: Box;
  view: FaceView;
  /** Confidence in [0,1]: how clearly its checks passed, raised when several scans agree on it. */
  strength: number;
}

export interface FaceDetectionOptions extends FaceScanOptions {
  /** Share of skin-tone pixels in the face core that counts as skin. Default 0.4. */
  minSkinRatio: number;
  /**
   * Raw windows of the candidate's own cascade, re-run on its crop at a standard size, that make it a
   * strong hit. Default 30 frontal, 10 profile (the profile cascade fires more sparsely).
   */
  strongRescanWindows: Record<FaceView, number>;
  /** Mean chroma under which a photo counts as grey and skin tone is not judged. Default 12. */
  greyChroma: number;
  /**
   * Network score from which a network face is checked at all. Default 0.7: on the dev photos every
   * face the network scores higher holds up, and below it the network's hits are mostly fur, foliage
   * and faces on objects.
   */
  minNetworkScore: number;
  /**
   * Network score that counts as a face on its own in a grey photo, where skin cannot be judged and
   * the texture checks miss dim or small faces. Default 0.85.
   */
  greyNetworkScore: number;
  /**
   * Network score from which skin alone is the second check. Default 0.78: dirt, wood and fur pass as
   * skin. On the dev photos and focus images the network's skin-only hits that are not faces score
   * 0.71-0.76, the real faces 0.84-0.93 (0.80 for one of them at 640 px), and one profile 0.73.
   */
  skinOnlyNetworkScore: number;
  /**
   * Network score from which a face under minNetworkScore is checked, and then only by a head and
   * shoulders around it (the upper-body cascade, with the face where the cascade has its head),
   * which reads a person's outline rather than the face's grey pattern or colour. Default 0.5 (the
   * network's own floor): of the network's 94 hits under 0.7 on the dev photos, the focus images and
   * 59 other photos, 3 are real faces; one of those has a person around it, none of the others.
   */
  minBodyBackedNetworkScore: number;
}

export const DEFAULT_FACE_DETECTION_OPTIONS: FaceDetectionOptions = {
  ...DEFAULT_FACE_SCAN_OPTIONS,
  minSkinRatio: 0.4,
  strongRescanWindows: { frontal: 30, profile: 10 },
  greyChroma: 12,
  minNetworkScore: 0.7,
  greyNetworkScore: 0.85,
  skinOnlyNetworkScore: 0.78,
  minBodyBackedNetworkScore: 0.5,
};

/** Neighbours the upper-body cascade needs to back a weak network face (the body scan's default). */
const BODY_CHECK_NEIGHBORS = 3;

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
  const skin = evidence.skin ?? 0.5;
  const second = view === 'frontal' ? Number(evidence.secondCascade) : 0.5;
  return (rescan + eyes + skin + second) / 4;
}

/**
 * Whether a network face holds up: the network is one check, so it needs one more that reads
 * something else — an eye, the second cascade, a strong re-scan, a Haar candidate of its own at the
 * same place and size, or, for a confident network face, skin in the face core. A grey photo has no
 * skin to judge, so there a high network score may stand in for it.
 */
function isNetworkFace(face: NetworkFace, evidence: FaceEvidence, haarAgrees: boolean, options: FaceDetectionOptions): boolean {
  if (evidence.skin === undefined && face.score >= options.greyNetworkScore) return true;
  const skin = evidence.skin !== undefined && evidence.skin >= options.minSkinRatio && face.score >= options.skinOnlyNetworkScore;
  const strong = evidence.rescanWindows >= options.strongRescanWindows.frontal;
  return haarAgrees || skin || evidence.eyes > 0 || evidence.secondCascade || strong;
}

/**
 * The frontal cascade's square window around a face box (the inverse of faceBoxFromWindow), so a
 * network face is checked on the same crop as a cascade's.
 */
function networkCandidate(face: Box): FaceCandidate {
  const side = Math.max(face.w / FRONTAL_WINDOW_TO_FACE.width, face.h / FRONTAL_WINDOW_TO_FACE.height);
  const window = { x: face.x + face.w / 2 - side / 2, y: face.y + face.h / 2 - side / 2, w: side, h: side };
  return { window, view: 'frontal', neighbors: 0, mirrored: false, tilt: 0 };
}

/**
 * Faces found by frontal and profile cascades and by the face network, each verified, merged one per
 * head, strongest first.
 */
export function detectFaces(
  scope: MatScope,
  gray: OpenCV.Mat,
  image: RgbImage,
  options: FaceDetectionOptions = DEFAULT_FACE_DETECTION_OPTIONS,
  networkFaces: readonly NetworkFace[] = [],
): DetectedFace[] {
  const colour = meanChroma(image) >= options.greyChroma;
  const checked: CheckedFace[] = [];
  const candidates = findFaceCandidates(scope, gray, options);
  for (const candidate of candidates) {
    const evidence = gatherFaceEvidence(scope, gray, image, candidate, colour);
    if (!isFace(candidate.view, evidence, options)) continue;
    checked.push({ box: faceBoxFromWindow(candidate), view: candidate.view, strength: strengthOf(candidate.view, evidence, options) });
  }
  const candidateFaces = candidates.map(faceBoxFromWindow);
  for (const face of networkFaces) {
    const box = faceBoxFromNetwork(face);
    const confident = face.score >= options.minNetworkScore;
    // Weaker network hits are mostly fur, foliage and objects: only a person around one backs it.
    if (!confident && !(face.score >= options.minBodyBackedNetworkScore && hasUpperBodyAround(scope, gray, box))) continue;
    const evidence = gatherFaceEvidence(scope, gray, image, networkCandidate(box), colour);
    // A cascade hit agrees only on a face of about the same place and size: cascades also fire on
    // eyes and fur patterns inside a larger false face.
    const haarAgrees = candidateFaces.some((candidateBox) => iou(candidateBox, box) > 0.3);
    if (confident && !isNetworkFace(face, evidence, haarAgrees, options)) continue;
    checked.push({ box, view: 'frontal', strength: (face.score + strengthOf('frontal', evidence, options)) / 2 });
  }
  return mergeSameFace(checked);
}

function hasUpperBodyAround(scope: MatScope, gray: OpenCV.Mat, face: Box): boolean {
  return detectUpperBodyAround(scope, gray, face, BODY_CHECK_NEIGHBORS).length > 0;
}

function sameFace(a: Box, b: Box): boolean {
  return iou(a, b) > 0.3 || coverage(a, b) > 0.6 || coverage(b, a) > 0.6;
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
    const agreeing = 1 - group.slice(1).reduce((rest, f) => rest * (1 - 0.3 * f.strength), 1);
    return {
      box: { x: mean('x'), y: mean('y'), w: mean('w'), h: mean('h') },
      view: lead.view,
      strength: Math.min(1, lead.strength + (1 - lead.strength) * agreeing),
    };
  });
  return merged.sort((a, b) => b.strength - a.strength);
}
