import { descriptorWords } from './hamming.ts';
import { convexPolygonArea, projectPoint, quadOverRectangle, type Homography } from './homography.ts';
import type { ImageSignature } from './image-signature.ts';
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
  /** 3×3 row-major homography from b's feature frame to a's, when a plausible one was found. */
  homography?: Homography;
}

export interface FeatureMatchOptions {
  /** Lowe's ratio: best match must be this much closer than the second best. Default 0.9: texture (grass, foliage) has many near-twins, and the RANSAC model is strict enough to take the extra outliers. */
  ratio?: number;
  /** Hamming distance above which a match is not considered. Default 64 of 256 bits. */
  maxDistance?: number;
  /**
   * RANSAC reprojection threshold in feature-frame pixels for images at least as large as the frame.
   * Default 4; scaled up for enlarged images (see localisationScale).
   */
  ransacThreshold?: number;
  /** Fewer matches than this and no homography is attempted. Default 8. */
  minMatches?: number;
}

const NO_MATCH: FeatureMatchReport = { matches: 0, inliers: 0, inlierRatio: 0, overlap: 0, reprojectionError: 0, nearMisses: 0 };
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
export function matchFeatures(a: ImageSignature, b: ImageSignature, options: FeatureMatchOptions = {}): FeatureMatchReport {
  const minMatches = options.minMatches ?? 8;
  const localisation = localisationScale(a, b);
  const threshold = (options.ransacThreshold ?? 4) * localisation;
  const matcher = new RatioTestMatcher(a.features.descriptors, b.features.descriptors, options.ratio ?? 0.9, options.maxDistance ?? 64);
  if (matcher.rows > EARLY_CHECK_FEATURES) {
    matcher.scan(0, EARLY_CHECK_FEATURES);
    const early = matcher.pairs();
    const fit = early.length >= minMatches ? fitTransform(a, b, early, threshold) : undefined;
    if (!fit || fit.inliers < EARLY_CHECK_MIN_INLIERS) return { ...NO_MATCH, matches: early.length };
    matcher.scan(EARLY_CHECK_FEATURES, matcher.rows);
  } else {
    matcher.scan(0, matcher.rows);
  }
  const pairs = matcher.pairs();
  if (pairs.length < minMatches) return { ...NO_MATCH, matches: pairs.length };
  const fit = fitTransform(a, b, pairs, threshold);
  if (!fit) return { ...NO_MATCH, matches: pairs.length };
  return {
    matches: pairs.length,
    inliers: fit.inliers,
    inlierRatio: fit.inliers / pairs.length,
    overlap: overlapShare(a, b, fit.homography),
    reprojectionError: fit.rmsError / localisation,
    nearMisses: fit.nearMisses,
    homography: fit.homography,
  };
}

/**
 * Ratio-test matching of a's descriptors (rows) against all of b's, a range of rows at a time: scanning
 * 0..k then k..n gives exactly the pairs of scanning 0..n. Pairs [row of a, keypoint of b] whose best
 * match is clearly better than the second best.
 */
class RatioTestMatcher {
  readonly rows: number;
  private readonly wa: Int32Array;
  private readonly wb: Int32Array;
  private readonly nb: number;
  /** For each keypoint of b, the row of a matched to it (-1: none) and their distance. */
  private readonly taken: Int32Array;
  private readonly takenDistance: Int32Array;

  constructor(
    da: Uint8Array,
    db: Uint8Array,
    private readonly ratio: number,
    private readonly maxDistance: number,
  ) {
    this.wa = descriptorWords(da);
    this.wb = descriptorWords(db);
    this.rows = da.length / 32;
    this.nb = db.length / 32;
    this.taken = new Int32Array(this.nb).fill(-1);
    this.takenDistance = new Int32Array(this.nb);
  }

  scan(from: number, to: number): void {
    const { wa, wb, nb, taken, takenDistance } = this;
    for (let i = from; i < to; i++) {
      let best = 257;
      let second = 257;
      let bestJ = -1;
      const a0 = wa[i * 8]!, a1 = wa[i * 8 + 1]!, a2 = wa[i * 8 + 2]!, a3 = wa[i * 8 + 3]!;
      const a4 = wa[i * 8 + 4]!, a5 = wa[i * 8 + 5]!, a6 = wa[i * 8 + 6]!, a7 = wa[i * 8 + 7]!;
      for (let j = 0; j < nb; j++) {
        // Unrolled: this loop is where verification spends its time. A descriptor already as far as the
        // second best over its first half can change neither best nor second: skip its other half.
        const o = j * 8;
        const half = total(byteSums(nibbleSums(a0 ^ wb[o]!, a1 ^ wb[o + 1]!), nibbleSums(a2 ^ wb[o + 2]!, a3 ^ wb[o + 3]!)));
        if (half >= second) continue;
        const d = half + total(byteSums(nibbleSums(a4 ^ wb[o + 4]!, a5 ^ wb[o + 5]!), nibbleSums(a6 ^ wb[o + 6]!, a7 ^ wb[o + 7]!)));
        if (d < best) {
          second = best;
          best = d;
          bestJ = j;
        } else if (d < second) {
          second = d;
        }
      }
      if (bestJ < 0 || best > this.maxDistance || best >= this.ratio * second) continue;
      // One keypoint of b matched by several of a: keep the closest, as cross-checking would.
      if (taken[bestJ]! >= 0 && takenDistance[bestJ]! <= best) continue;
      taken[bestJ] = i;
      takenDistance[bestJ] = best;
    }
  }

  /** The pairs so far, ordered by keypoint of b. */
  pairs(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let j = 0; j < this.nb; j++) if (this.taken[j]! >= 0) out.push([this.taken[j]!, j]);
    return out;
  }
}

/**
 * Popcount in parts (SWAR), so that the counts of several words are added before the costly last steps:
 * the set bits of x and y per 4-bit nibble (each ≤ 8)…
 */
function nibbleSums(x: number, y: number): number {
  x -= (x >>> 1) & 0x55555555;
  y -= (y >>> 1) & 0x55555555;
  return (x & 0x33333333) + ((x >>> 2) & 0x33333333) + (y & 0x33333333) + ((y >>> 2) & 0x33333333);
}

/** …then of two such per byte (each ≤ 32: four words' worth)… */
function byteSums(p: number, q: number): number {
  return (p & 0x0f0f0f0f) + ((p >>> 4) & 0x0f0f0f0f) + (q & 0x0f0f0f0f) + ((q >>> 4) & 0x0f0f0f0f);
}

/** …and the four bytes added (≤ 128, so the top byte cannot overflow, as eight words' 256 would). */
function total(bytes: number): number {
  return Math.imul(bytes, 0x01010101) >>> 24;
}

function fitTransform(
  a: ImageSignature,
  b: ImageSignature,
  pairs: Array<[number, number]>,
  threshold: number,
): { homography: Homography; inliers: number; rmsError: number; nearMisses: number } | undefined {
  const src = new Float32Array(pairs.length * 2);
  const dst = new Float32Array(pairs.length * 2);
  pairs.forEach(([i, j], k) => {
    src[k * 2] = b.features.points[j * 2]!;
    src[k * 2 + 1] = b.features.points[j * 2 + 1]!;
    dst[k * 2] = a.features.points[i * 2]!;
    dst[k * 2 + 1] = a.features.points[i * 2 + 1]!;
  });
  const fit = ransacSimilarity(src, dst, { threshold });
  if (!fit) return undefined;
  const homography = asHomography(fit.model);
  let near = 0;
  for (let k = 0; k < pairs.length; k++) {
    if (fit.inliers[k]) continue;
    const [x, y] = projectPoint(homography, src[k * 2]!, src[k * 2 + 1]!);
    if (Math.hypot(x - dst[k * 2]!, y - dst[k * 2 + 1]!) < NEAR_MISS_RANGE * threshold) near++;
  }
  return { homography, inliers: fit.inlierCount, rmsError: fit.rmsError, nearMisses: near / (near + fit.inlierCount) };
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
