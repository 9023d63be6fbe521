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
 * levels, and the finest levels (smallest faces, full scan resolution) cost the most; so frontal
 * faces are searched on a reduced image over the whole frame, optionally small faces on a larger
 * image only where there is skin (colour photos), and profiles on a small image where there is skin.
 */
export interface FaceScanOptions {
  /** Long side of the frontal scan, whole frame. Default 480: faces ≥ 5% of the long side. */
  coarseScanSize: number;
  /**
   * Long side of an extra scan for small frontal faces (up to twice the coarse pass's smallest),
   * skin regions only; not larger than coarseScanSize = no such pass. Default 0 (off): on the dev
   * photos it found no face that verification kept which the coarse pass missed, and cost half a
   * frontal scan (skin-coloured backgrounds leave little to skip). 800 reaches faces of 3%.
   */
  fineScanSize: number;
  /** Long side of the profile scan, skin regions only. Default 320: profiles ≥ 6.3% of the long side. 0 = none. */
  profileScanSize: number;
  /** Pyramid step. Default 1.2: fewer levels than the usual 1.1, verification recovers the precision. */
  scaleFactor: number;
  /** Neighbours a candidate needs before it is verified. Default 1 (a cluster of two windows). */
  minNeighbors: number;
}

export const DEFAULT_FACE_SCAN_OPTIONS: FaceScanOptions = {
  coarseScanSize: 480,
  fineScanSize: 0,
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

  if (options.fineScanSize > options.coarseScanSize) {
    const fine = grayScanImage(scope, gray, options.fineScanSize);
    // Up to twice the smallest face of the coarse pass: the coarse pass is weak on faces that just
    // fill its window, so the two overlap there.
    const fineMax = (2 * FRONTAL_WINDOW * coarse.scale) / fine.scale;
    const where = colour ? skinRegions(image, { minFace: FRONTAL_WINDOW * fine.scale, maxFace: fineMax * fine.scale }) : undefined;
    const hits = scanCascadeInRegions(scope, 'frontalFace', fine, { ...settings, minSize: FRONTAL_WINDOW, maxSize: fineMax }, where);
    candidates.push(...hits.map(frontal));
  }
  if (options.profileScanSize > 0) candidates.push(...findProfileCandidates(scope, gray, image, colour, options));
  return candidates;
}

function findProfileCandidates(
  scope: MatScope,
  gray: OpenCV.Mat,
  image: RgbImage,
  colour: boolean,
  options: FaceScanOptions,
): FaceCandidate[] {
  const settings = { scaleFactor: options.scaleFactor, minNeighbors: options.minNeighbors };
  const candidates: FaceCandidate[] = [];
  const profile = grayScanImage(scope, gray, options.profileScanSize);
  const long = Math.max(image.width, image.height);
  const profileWhere = colour ? skinRegions(image, { minFace: PROFILE_WINDOW * profile.scale, maxFace: long * 0.15 }) : undefined;
  // The cascade only knows faces looking left; the mirrored image finds those looking right.
  for (const mirrored of [false, true]) {
    const hits = scanCascadeInRegions(scope, 'profileFace', profile, { ...settings, minSize: PROFILE_WINDOW }, profileWhere, mirrored);
    candidates.push(...hits.map((hit): FaceCandidate => ({ window: hit.box, view: 'profile', neighbors: hit.neighbors, mirrored })));
  }
  return candidates;
}
