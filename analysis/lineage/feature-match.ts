import { convexPolygonArea, determinant, invertHomography, projectPoint, quadOverRectangle, type Homography } from './homography.ts';
import type { ImageSignature } from './image-signature.ts';
import { RatioTestMatcher } from './ratio-test-matcher.ts';
import { asHomography, ransacSimilarity } from './similarity-ransac.ts';

/** How well the keypoints of two images agree on one geometric transform. */
export interface FeatureMatchReport {
  /** Matches that pass the ratio test. */
  matches: number;
  /** Matches consistent with the RANSAC homography. */
  inliers: number;
  /** inliers / matches. */
  inlierRatio: number;
  /** Share of the smaller image (in area) that the other one covers under the homography. */
  overlap: number;
  /**
   * RMS reprojection error of the inliers (feature-frame pixels). Derivatives of one picture align to
   * about a pixel; a stereo or viewpoint pair only roughly, parallax spreading its inliers over the
   * whole RANSAC threshold. 0 when no transform was found.
   */
  reprojectionError: number;
  /**
   * Matches that miss the transform by a little (1-3× the RANSAC threshold) per match that fits it or
   * nearly does. A copy of one photo, however graded, has its matches either on the transform or far
   * off (wrong matches); the same scene a moment later — things moved a few pixels, not one rigid
   * transform — leaves many just off it. 0 when no transform was found.
   */
  nearMisses: number;
  /**
   * How far neighbouring inliers are off the transform in the same direction (localisation units,
   * see localisationScale): the root of the mean dot product of the residuals of inliers 6-48 feature-frame
   * pixels apart, after an affine fit to the inliers. A copy's residuals are each keypoint's own
   * localisation noise and cancel out (≈ 0); the same scene a moment later — a smooth displacement under
   * the RANSAC threshold, which neither near misses nor the RMS error tell from noise — leaves
   * neighbours drifting together. 0 when no transform was found.
   */
  coherentDrift: number;
  /** 3×3 row-major homography from b's feature frame to a's, when a plausible one was found. */
  homography?: Homography;
}

/** Lowe's ratio: best match must be this much closer than the second best. 0.9: texture (grass, foliage) has many near-twins, and the RANSAC model is strict enough to take the extra outliers. */
const RATIO_TEST = 0.9;
/** Hamming distance above which a match is not considered (of 256 bits). */
const MAX_MATCH_DISTANCE = 64;
/**
 * RANSAC reprojection threshold in feature-frame pixels for images at least as large as the frame;
 * scaled up for enlarged images (see localisationScale).
 */
const RANSAC_THRESHOLD = 4;
/** Fewer matches than this and no homography is attempted. */
const MIN_MATCHES = 8;

const NO_MATCH: FeatureMatchReport = { matches: 0, inliers: 0, inlierRatio: 0, overlap: 0, reprojectionError: 0, nearMisses: 0, coherentDrift: 0 };
/** Residuals up to this many RANSAC thresholds count as near misses (a displacement of a few pixels at 512 px). */
const NEAR_MISS_RANGE = 3;

/**
 * Keypoints of a matched before a first RANSAC decides whether the rest is worth matching. The
 * keypoints are spread over a 6×6 grid, strongest first, so the first half covers the whole picture.
 */
const EARLY_CHECK_FEATURES = 200;
/**
 * Fewer RANSAC inliers than this among the first EARLY_CHECK_FEATURES keypoints' matches and the pair is
 * not matched further. On synth:lineages (2% sample of unrelated pairs and every pair of one lineage)
 * this rejects 1527 of the 1571 pairs below the clustering threshold and 3 of the 822 above it (the
 * --harder set: 1342 of 1401, 3 of 638); < 6 would lose 3 and 6, < 10 8 and 12. A failed verification
 * then costs half the matching, and about half of the verifications in clustering fail.
 */
const EARLY_CHECK_MIN_INLIERS = 4;

/**
 * Ratio-test matching (brute force, Hamming) then RANSAC for the crop-resize-turn transform from b to a,
 * reported as a homography. A pair whose first keypoints find no transform stops there (see
 * EARLY_CHECK_MIN_INLIERS).
 */
export function matchFeatures(a: ImageSignature, b: ImageSignature): FeatureMatchReport {
  const localisation = localisationScale(a, b);
  const threshold = RANSAC_THRESHOLD * localisation;
  const matcher = new RatioTestMatcher(a.features.descriptors, b.features.descriptors, RATIO_TEST, MAX_MATCH_DISTANCE);
  if (matcher.rows > EARLY_CHECK_FEATURES) {
    matcher.scan(0, EARLY_CHECK_FEATURES);
    const early = matcher.pairs();
    const fit = early.length >= MIN_MATCHES ? fitTransform(a, b, early, threshold) : undefined;
    if (!fit || fit.inliers < EARLY_CHECK_MIN_INLIERS) return { ...NO_MATCH, matches: early.length };
    matcher.scan(EARLY_CHECK_FEATURES, matcher.rows);
  } else {
    matcher.scan(0, matcher.rows);
  }
  const pairs = matcher.pairs();
  if (pairs.length < MIN_MATCHES) return { ...NO_MATCH, matches: pairs.length };
  const fit = fitTransform(a, b, pairs, threshold);
  if (!fit) return { ...NO_MATCH, matches: pairs.length };
  return {
    matches: pairs.length,
    inliers: fit.inliers,
    inlierRatio: fit.inliers / pairs.length,
    overlap: overlapShare(a, b, fit.homography),
    reprojectionError: fit.rmsError / localisation,
    nearMisses: fit.nearMisses,
    coherentDrift: coherentDrift(fit.inlierPoints) / localisation,
    homography: fit.homography,
  };
}

function fitTransform(
  a: ImageSignature,
  b: ImageSignature,
  pairs: Array<[number, number]>,
  threshold: number,
): { homography: Homography; inliers: number; rmsError: number; nearMisses: number; inlierPoints: InlierPoints } | undefined {
  const src = new Float32Array(pairs.length * 2);
  const dst = new Float32Array(pairs.length * 2);
  pairs.forEach(([i, j], k) => {
    src[k * 2] = b.features.points[j * 2]!;
    src[k * 2 + 1] = b.features.points[j * 2 + 1]!;
    dst[k * 2] = a.features.points[i * 2]!;
    dst[k * 2 + 1] = a.features.points[i * 2 + 1]!;
  });
  const fit = ransacSimilarity(src, dst, threshold);
  if (!fit) return undefined;
  const homography = asHomography(fit.model);
  let near = 0;
  const inlierPoints: InlierPoints = { src: new Float32Array(fit.inlierCount * 2), dst: new Float32Array(fit.inlierCount * 2) };
  for (let k = 0, m = 0; k < pairs.length; k++) {
    if (fit.inliers[k]) {
      inlierPoints.src.set(src.subarray(k * 2, k * 2 + 2), m * 2);
      inlierPoints.dst.set(dst.subarray(k * 2, k * 2 + 2), m * 2);
      m++;
      continue;
    }
    const [x, y] = projectPoint(homography, src[k * 2]!, src[k * 2 + 1]!);
    if (Math.hypot(x - dst[k * 2]!, y - dst[k * 2 + 1]!) < NEAR_MISS_RANGE * threshold) near++;
  }
  return { homography, inliers: fit.inlierCount, rmsError: fit.rmsError, nearMisses: near / (near + fit.inlierCount), inlierPoints };
}

/** Matched keypoints on the transform: b's (src) and a's (dst), feature-frame pixels, x y interleaved. */
interface InlierPoints {
  src: Float32Array;
  dst: Float32Array;
}

/**
 * Inliers this close (feature-frame pixels of a) are neighbours whose residuals are compared: the
 * synthetic moment-later displacement is smooth over about a sixth of the picture (~80 px of 512), one
 * object's keypoints lie within a few dozen pixels. Closer than DRIFT_MIN_DISTANCE they may be one corner
 * found twice (two pyramid levels), whose residuals agree whatever moved.
 */
const DRIFT_RADIUS = 48;
const DRIFT_MIN_DISTANCE = 6;

/** See FeatureMatchReport.coherentDrift; in feature-frame pixels. */
function coherentDrift({ src, dst }: InlierPoints): number {
  const n = src.length / 2;
  const affine = affineFit(src, dst);
  if (!affine) return 0;
  const [p, q] = affine;
  const points = Array.from({ length: n }, (_, k) => {
    const sx = src[k * 2]!;
    const sy = src[k * 2 + 1]!;
    const x = dst[k * 2]!;
    const y = dst[k * 2 + 1]!;
    return { x, y, ex: p[0]! * sx + p[1]! * sy + p[2]! - x, ey: q[0]! * sx + q[1]! * sy + q[2]! - y };
  }).sort((u, v) => u.x - v.x);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const u = points[i]!;
    for (let j = i + 1; j < n && points[j]!.x - u.x <= DRIFT_RADIUS; j++) {
      const v = points[j]!;
      const distance = Math.hypot(v.x - u.x, v.y - u.y);
      if (distance > DRIFT_RADIUS || distance < DRIFT_MIN_DISTANCE) continue;
      sum += u.ex * v.ex + u.ey * v.ey;
      count++;
    }
  }
  return count > 0 ? Math.sqrt(Math.max(0, sum / count)) : 0;
}

/**
 * Least-squares affine map src → dst (x' = p·[x y 1], y' = q·[x y 1]): the drift is measured against it
 * rather than the RANSAC similarity, so a slight stretch or a fit error — linear across the picture —
 * is not taken for things that moved.
 */
function affineFit(src: Float32Array, dst: Float32Array): [number[], number[]] | undefined {
  const normal: Homography = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const bx = [0, 0, 0];
  const by = [0, 0, 0];
  for (let k = 0; k < src.length / 2; k++) {
    const v = [src[k * 2]!, src[k * 2 + 1]!, 1];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) normal[i * 3 + j]! += v[i]! * v[j]!;
      bx[i]! += v[i]! * dst[k * 2]!;
      by[i]! += v[i]! * dst[k * 2 + 1]!;
    }
  }
  // Singular or nearly, relative to the diagonal (the sums grow with the number of points and the
  // square of their spread): the inliers lie on a line and fix no affine map.
  if (!(Math.abs(determinant(normal)) > 1e-10 * Math.abs(normal[0] * normal[4] * normal[8]))) return undefined;
  const inverse = invertHomography(normal);
  const times = (b: number[]) => [0, 1, 2].map((r) => inverse[r * 3]! * b[0]! + inverse[r * 3 + 1]! * b[1]! + inverse[r * 3 + 2]! * b[2]!);
  return [times(bx), times(by)];
}

/**
 * Most the RANSAC threshold grows for enlarged images. A member resized to ×0.25 (a 136 px crop) is
 * enlarged 3.8× into the 512 px feature frame, where one of its pixels — and the uncertainty of a corner
 * found on it — spans ~4 frame pixels: at the fixed 4 px threshold its true matches fell just off the
 * transform and counted as near misses ("things moved"). Up to 2×: on synth:lineages 2, 3 and 4 gave
 * the same figures (BENCHMARKS.md), so the smallest; 8 px is still 1/64 of the frame. What it costs: at
 * 130 px a displacement of 2-4% of the picture is about one image pixel, so a small copy of the same
 * scene a moment later is harder to tell apart (one more wrong join on the --harder synth set).
 */
const MAX_LOCALISATION_SCALE = 2;

/**
 * Feature-frame pixels per pixel of the analysed image for the more enlarged of the two (≥ 1): how
 * coarsely its keypoints are placed. The RANSAC threshold and the near-miss range scale with it, and
 * the reprojection error is reported in its units, so an enlarged pair is judged as a full-size one.
 */
function localisationScale(a: ImageSignature, b: ImageSignature): number {
  const enlargement = (s: ImageSignature) => Math.max(s.featureFrame.width, s.featureFrame.height) / Math.max(s.width, s.height);
  return Math.min(MAX_LOCALISATION_SCALE, Math.max(1, enlargement(a), enlargement(b)));
}

function overlapShare(a: ImageSignature, b: ImageSignature, h: Homography): number {
  const { width: bw, height: bh } = b.featureFrame;
  const quad = [projectPoint(h, 0, 0), projectPoint(h, bw, 0), projectPoint(h, bw, bh), projectPoint(h, 0, bh)];
  const shared = quadOverRectangle(quad, a.featureFrame.width, a.featureFrame.height);
  const smaller = Math.min(a.featureFrame.width * a.featureFrame.height, convexPolygonArea(quad));
  return smaller > 0 ? Math.min(1, shared / smaller) : 0;
}
