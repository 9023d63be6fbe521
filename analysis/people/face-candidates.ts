import type * as OpenCV from '@techstark/opencv-js';
import type { Box } from '../geometry/box.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import { type CascadeHit, scanCascade } from './cascade-scan.ts';
import { grayScanImage } from './gray-scan-image.ts';

export type FaceView = 'frontal' | 'profile';

/** A window a face cascade fired on; not yet a face until it passes verification. */
export interface FaceCandidate {
  /** The cascade's square window, working px. */
  window: Box;
  view: FaceView;
  /** Grouped raw windows (Haar neighbours) at the scan's scale factor. */
  neighbors: number;
  /** True when found on the mirrored image (a profile looking right). */
  mirrored: boolean;
  /**
   * Degrees the image was turned to make the face upright (0 = found upright). `window` is then the
   * square window in the face's own upright frame, centred on the face centre.
   */
  tilt: number;
}

/**
 * Where and how finely the face cascades look. A scan costs its pixels times its pyramid levels,
 * the finest levels (smallest faces) the most; so each pass runs on the smallest image that still
 * holds the faces worth finding for it, and with a coarse pyramid step.
 */
export interface FaceScanOptions {
  /**
   * Long side of the upright frontal scan. Default 416: faces from 5.8% of the long side (24-px
   * window; 440 px found no more dev faces for 5% more time). The reference scan at 640 px and step
   * 1.1 costs about 4× as much.
   */
  frontalScanSize: number;
  /**
   * Long side of the profile scan (run on the image and its mirror). Default 224: profiles from
   * 9% of the long side; the face network finds smaller ones (288 px found no more dev faces once
   * the network ran, for 25 ms more). 0 = no profile pass.
   */
  profileScanSize: number;
  /** Pyramid step. Default 1.2: fewer levels than the usual 1.1; verification recovers the precision. */
  scaleFactor: number;
  /** Neighbours a candidate needs before it is verified. Default 1 (a cluster of two windows). */
  minNeighbors: number;
}

export const DEFAULT_FACE_SCAN_OPTIONS: FaceScanOptions = {
  frontalScanSize: 416,
  profileScanSize: 224,
  scaleFactor: 1.2,
  minNeighbors: 1,
};

/** Window sides of the cascades (frontal default 24×24, profile 20×20). */
export const FRONTAL_WINDOW = 24;
export const PROFILE_WINDOW = 20;

function candidate(hit: CascadeHit, view: FaceView, mirrored = false): FaceCandidate {
  return { window: hit.box, view, neighbors: hit.neighbors, mirrored, tilt: 0 };
}

/** Frontal (upright) and profile (both directions) face candidates, working px. */
export function findFaceCandidates(scope: MatScope, gray: OpenCV.Mat, options: FaceScanOptions): FaceCandidate[] {
  const settings = { scaleFactor: options.scaleFactor, minNeighbors: options.minNeighbors };
  const frontal = grayScanImage(scope, gray, options.frontalScanSize);
  const candidates = scanCascade(scope, 'frontalFace', frontal.mat, { ...settings, minSize: FRONTAL_WINDOW }, frontal.scale).map(
    (hit) => candidate(hit, 'frontal'),
  );

  if (options.profileScanSize > 0) {
    const profile = grayScanImage(scope, gray, options.profileScanSize);
    const profileSettings = { ...settings, minSize: PROFILE_WINDOW };
    for (const hit of scanCascade(scope, 'profileFace', profile.mat, profileSettings, profile.scale)) {
      candidates.push(candidate(hit, 'profile'));
    }
    // The cascade only knows faces looking one way; the mirrored image finds those looking the other.
    const mirrored = scope.track(new (cv().Mat)());
    cv().flip(profile.mat, mirrored, 1);
    for (const hit of scanCascade(scope, 'profileFace', mirrored, profileSettings, profile.scale)) {
      candidates.push(candidate({ ...hit, box: { ...hit.box, x: gray.cols - hit.box.x - hit.box.w } }, 'profile', true));
    }
  }
  return candidates;
}
