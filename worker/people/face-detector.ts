import type * as OpenCV from '@techstark/opencv-js';
import { type Box, iou, coverage } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { faceBoxFromWindow } from './face-box.ts';
import { DEFAULT_FACE_SCAN_OPTIONS, findFaceCandidates, type FaceScanOptions, type FaceView } from './face-candidates.ts';
import { type FaceEvidence, gatherFaceEvidence } from './face-verification.ts';
import { meanChroma } from './skin-tone.ts';

export interface DetectedFace {
  /** Face box (eyebrows to chin, cheek to cheek), working px. */
  box: Box;
  view: FaceView;
  /** Confidence in [0,1] from the cascade's neighbour count and the checks it passed. */
  strength: number;
}

export interface FaceDetectionOptions extends FaceScanOptions {
  /** Share of skin-tone pixels a face core needs in a colour photo. Default 0.4. */
  minSkinRatio: number;
  /** Mean chroma under which a photo counts as grey and skin tone is not judged. Default 12. */
  greyChroma: number;
}

export const DEFAULT_FACE_DETECTION_OPTIONS: FaceDetectionOptions = {
  ...DEFAULT_FACE_SCAN_OPTIONS,
  minSkinRatio: 0.4,
  greyChroma: 12,
};

/**
 * A candidate is a face when a second cascade confirms it on its crop AND a check of a different
 * kind agrees: skin tone in colour photos; eyes or a strong neighbour count in grey ones. Texture
 * fools one cascade easily, two cascades less, and cascades plus colour rarely.
 */
function accepted(evidence: FaceEvidence, neighbors: number, options: FaceDetectionOptions): boolean {
  if (!evidence.secondCascade) return false;
  if (evidence.skin !== undefined) return evidence.skin >= options.minSkinRatio;
  return evidence.eyes > 0 || neighbors >= 10;
}

function strengthOf(evidence: FaceEvidence, neighbors: number): number {
  const votes = Math.min(1, neighbors / 20) * 0.5 + Math.min(evidence.eyes, 2) * 0.1 + (evidence.skin ?? 0.5) * 0.3;
  return Math.min(1, votes);
}

/** Faces found by frontal and profile cascades, verified, deduplicated, strongest first. */
export function detectFaces(
  scope: MatScope,
  gray: OpenCV.Mat,
  image: RgbImage,
  options: FaceDetectionOptions = DEFAULT_FACE_DETECTION_OPTIONS,
): DetectedFace[] {
  const colour = meanChroma(image) >= options.greyChroma;
  const faces: DetectedFace[] = [];
  for (const candidate of findFaceCandidates(scope, gray, options)) {
    const evidence = gatherFaceEvidence(scope, gray, image, candidate, colour);
    if (!accepted(evidence, candidate.neighbors, options)) continue;
    faces.push({ box: faceBoxFromWindow(candidate), view: candidate.view, strength: strengthOf(evidence, candidate.neighbors) });
  }
  return suppressDuplicates(faces);
}

/** One face per head: frontal and profile cascades and neighbouring scales often fire on the same one. */
function suppressDuplicates(faces: DetectedFace[]): DetectedFace[] {
  const ranked = [...faces].sort((a, b) => (a.view === b.view ? b.strength - a.strength : a.view === 'frontal' ? -1 : 1));
  const kept: DetectedFace[] = [];
  for (const face of ranked) {
    const duplicate = kept.some((k) => iou(k.box, face.box) > 0.3 || coverage(face.box, k.box) > 0.6 || coverage(k.box, face.box) > 0.6);
    if (!duplicate) kept.push(face);
  }
  return kept.sort((a, b) => b.strength - a.strength);
}
