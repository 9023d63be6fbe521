import type * as OpenCV from '@techstark/opencv-js';
import type { Box } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { scanCascadeInRegions } from './cascade-scan.ts';
import { grayScanImage } from './gray-scan-image.ts';
import { skinRegions } from './skin-regions.ts';

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

/**
 * Where and how finely the face cascades look. Cost grows with the scanned pixels times the pyramid
 * levels, and the finest levels (smallest faces, full scan resolution) cost the most; so large
 * faces are searched on a small image over the whole frame, small faces on a large image only where
 * there is skin (colour photos), and profiles on a small image where there is skin.
 */
export interface FaceScanOptions {
  /** Long side of the scan for large frontal faces, whole frame. Default 360: faces ≥ 6.7% of the long side. */
  coarseScanSize: number;
  /** Long side of the scan for small frontal faces, skin regions only. Default 720: faces ≥ 3.3% of the long side. */
  fineScanSize: number;
  /** Long side of the profile scan, skin regions only. Default 320: profiles ≥ 6.3% of the long side. */
  profileScanSize: number;
  /** Pyramid step. Default 1.2: fewer levels than the usual 1.1, verification recovers the precision. */
  scaleFactor: number;
  /** Neighbours a candidate needs before it is verified. Default 1 (a cluster of two windows). */
  minNeighbors: number;
}

export const DEFAULT_FACE_SCAN_OPTIONS: FaceScanOptions = {
  coarseScanSize: 360,
  fineScanSize: 720,
  profileScanSize: 320,
  scaleFactor: 1.2,
  minNeighbors: 1,
};

/** Window sides of the cascades (frontal default 24×24, profile 20×20). */
const FRONTAL_WINDOW = 24;
const PROFILE_WINDOW = 20;

/**
 * Frontal and profile (both directions) face candidates. `colour` = false means skin tone cannot be
 * judged, so every pass covers the whole frame.
 */
export function findFaceCandidates(
  scope: MatScope,
  gray: OpenCV.Mat,
  image: RgbImage,
  colour: boolean,
  options: FaceScanOptions,
): FaceCandidate[] {
  const settings = { scaleFactor: options.scaleFactor, minNeighbors: options.minNeighbors };
  const frontal = (hit: { box: Box; neighbors: number }): FaceCandidate => ({
    window: hit.box,
    view: 'frontal',
    neighbors: hit.neighbors,
    mirrored: false,
  });

  const coarse = grayScanImage(scope, gray, options.coarseScanSize);
  const candidates = scanCascadeInRegions(scope, 'frontalFace', coarse, { ...settings, minSize: FRONTAL_WINDOW }, undefined).map(frontal);

  const fine = grayScanImage(scope, gray, options.fineScanSize);
  // Up to twice the smallest face of the coarse pass: the coarse pass is weak on faces that just fill
  // its window, so the two overlap there.
  const fineMax = (2 * FRONTAL_WINDOW * coarse.scale) / fine.scale;
  if (fineMax > FRONTAL_WINDOW) {
    const where = colour ? skinRegions(image, fineMax * fine.scale) : undefined;
    const hits = scanCascadeInRegions(scope, 'frontalFace', fine, { ...settings, minSize: FRONTAL_WINDOW, maxSize: fineMax }, where);
    candidates.push(...hits.map(frontal));
  }

  const profile = grayScanImage(scope, gray, options.profileScanSize);
  const profileWhere = colour ? skinRegions(image, Math.max(image.width, image.height) * 0.15) : undefined;
  // The cascade only knows faces looking left; the mirrored image finds those looking right.
  for (const mirrored of [false, true]) {
    const hits = scanCascadeInRegions(scope, 'profileFace', profile, { ...settings, minSize: PROFILE_WINDOW }, profileWhere, mirrored);
    candidates.push(...hits.map((hit): FaceCandidate => ({ window: hit.box, view: 'profile', neighbors: hit.neighbors, mirrored })));
  }
  return candidates;
}
