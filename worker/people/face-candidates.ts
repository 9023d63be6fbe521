import type * as OpenCV from '@techstark/opencv-js';
import type { Box } from '../geometry/box.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import { scanCascade } from './cascade-scan.ts';
import { grayScanImage } from './gray-scan-image.ts';

export type FaceView = 'frontal' | 'profile';

/** A window a face cascade fired on; not yet a face until it passes verification. */
export interface FaceCandidate {
  /** The cascade's square box, working px. */
  window: Box;
  view: FaceView;
  /** Grouped raw windows (Haar neighbours) at the scan's scale factor. */
  neighbors: number;
  /** True when found on the mirrored image (a profile looking right). */
  mirrored: boolean;
}

export interface FaceScanOptions {
  /** Long side of the frontal scan image. Default 640: a 24-px window is then 3.75% of the long side. */
  frontalScanSize: number;
  /** Long side of the profile scan image. Default 480 (profile faces that matter are larger). */
  profileScanSize: number;
  /** Pyramid step. Default 1.15: half the levels of 1.1, and verification recovers the precision. */
  scaleFactor: number;
  /** Neighbours a candidate needs before it is verified. Default 2: low, verification decides. */
  minNeighbors: number;
}

export const DEFAULT_FACE_SCAN_OPTIONS: FaceScanOptions = {
  frontalScanSize: 640,
  profileScanSize: 480,
  scaleFactor: 1.15,
  minNeighbors: 2,
};

/** Frontal and profile (both directions) face candidates over the whole image. */
export function findFaceCandidates(scope: MatScope, gray: OpenCV.Mat, options: FaceScanOptions): FaceCandidate[] {
  const frontal = grayScanImage(scope, gray, options.frontalScanSize);
  const candidates: FaceCandidate[] = scanCascade(
    scope,
    'frontalFace',
    frontal.mat,
    { scaleFactor: options.scaleFactor, minNeighbors: options.minNeighbors, minSize: 24 },
    frontal.scale,
  ).map((hit) => ({ window: hit.box, view: 'frontal', neighbors: hit.neighbors, mirrored: false }));

  const profile = grayScanImage(scope, gray, options.profileScanSize);
  const scan = { scaleFactor: options.scaleFactor, minNeighbors: options.minNeighbors, minSize: 20 };
  for (const hit of scanCascade(scope, 'profileFace', profile.mat, scan, profile.scale)) {
    candidates.push({ window: hit.box, view: 'profile', neighbors: hit.neighbors, mirrored: false });
  }
  // The cascade only knows faces looking left; the mirrored image finds those looking right.
  const mirrored = scope.track(new (cv().Mat)());
  cv().flip(profile.mat, mirrored, 1);
  const width = gray.cols;
  for (const hit of scanCascade(scope, 'profileFace', mirrored, scan, profile.scale)) {
    const box = { ...hit.box, x: width - hit.box.x - hit.box.w };
    candidates.push({ window: box, view: 'profile', neighbors: hit.neighbors, mirrored: true });
  }
  return candidates;
}
