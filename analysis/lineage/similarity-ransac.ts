import type { Homography } from './homography.ts';

/**
 * x' = a·x − b·y + tx, y' = b·x + a·y + ty: a crop, a resize and a small turn — how a derivative maps
 * onto its source (scale √(a²+b²), angle atan2(b, a)).
 */
export interface SimilarityTransform {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/** Most hypotheses tried; fewer once the inlier rate is known to be high. */
const MAX_HYPOTHESES = 400;
/** Scale range accepted (ratio of the two frames): 1/8..8. */
const MAX_SCALE = 8;
/** Largest turn accepted, degrees: derivatives are straightened by at most a few degrees. */
const MAX_TURN_DEGREES = 5;
/** Two keypoints closer than this (px) fix the scale and angle too poorly to propose a model. */
const MIN_PAIR_SPAN = 8;
/** Matches a transform needs: two fix it, so it says something only when at least one more agrees (also the fewest a least-squares refit is worth). */
const MIN_INLIERS = 3;
/** Least-squares refits on the inliers before the final count; further rounds not measured. */
const REFIT_ROUNDS = 2;
/** Chance left of never having drawn two inliers when the hypotheses stop early: RANSAC's usual 99% confidence. */
const MISS_PROBABILITY = 0.01;

export interface RansacResult {
  model: SimilarityTransform;
  inliers: Uint8Array;
  inlierCount: number;
  /** Root-mean-square reprojection error of the inliers, pixels. */
  rmsError: number;
}

/**
 * RANSAC for the model derivatives actually follow (crop, resize, a turn of a few degrees; no
 * perspective, no flip): two matches fix it. Four parameters instead of a homography's eight means a
 * tight threshold still finds the transform among many outliers, and a stereo, viewpoint or
 * moment-later pair — whose parallax or motion a full homography would partly absorb — does not fit
 * it. Deterministic: the hypotheses come from a fixed-seed generator. `threshold`: reprojection error
 * (pixels) under which a match is an inlier.
 */
export function ransacSimilarity(src: Float32Array, dst: Float32Array, threshold: number): RansacResult | undefined {
  const n = src.length / 2;
  if (n < MIN_INLIERS) return undefined;
  const maxAngle = (MAX_TURN_DEGREES * Math.PI) / 180;
  const t2 = threshold * threshold;
  let random = 0x9e3779b9;
  const next = () => {
    random ^= random << 13;
    random ^= random >>> 17;
    random ^= random << 5;
    return (random >>> 0) % n;
  };
  const plausible = (m: SimilarityTransform) => {
    const s = Math.hypot(m.a, m.b);
    return s > 1 / MAX_SCALE && s < MAX_SCALE && Math.abs(Math.atan2(m.b, m.a)) <= maxAngle;
  };
  let best: SimilarityTransform | undefined;
  let bestCount = 0;
  let iterations = MAX_HYPOTHESES;
  for (let it = 0; it < iterations; it++) {
    const i = next();
    const j = next();
    if (i === j) continue;
    const model = twoPointModel(src, dst, i, j);
    if (!model || !plausible(model)) continue;
    const count = countInliers(model, src, dst, t2);
    if (count > bestCount) {
      bestCount = count;
      best = model;
      // Enough hypotheses to have drawn two inliers, but for MISS_PROBABILITY, at the current inlier rate.
      const w = count / n;
      iterations = Math.min(iterations, Math.ceil(Math.log(MISS_PROBABILITY) / Math.log(Math.max(1e-9, 1 - w * w))));
    }
  }
  if (!best) return undefined;
  // Refit on the inliers (least squares), then recount: the two-point guess is noisy.
  let model = best;
  for (let round = 0; round < REFIT_ROUNDS; round++) {
    const refined = leastSquares(src, dst, inlierMask(model, src, dst, t2));
    if (!refined || !plausible(refined)) break;
    model = refined;
  }
  const inliers = inlierMask(model, src, dst, t2);
  let inlierCount = 0;
  let squared = 0;
  for (let k = 0; k < inliers.length; k++) {
    if (!inliers[k]) continue;
    inlierCount++;
    squared += residual2(model, src, dst, k);
  }
  return inlierCount >= MIN_INLIERS ? { model, inliers, inlierCount, rmsError: Math.sqrt(squared / inlierCount) } : undefined;
}

function twoPointModel(src: Float32Array, dst: Float32Array, i: number, j: number): SimilarityTransform | undefined {
  const sx = src[j * 2]! - src[i * 2]!;
  const sy = src[j * 2 + 1]! - src[i * 2 + 1]!;
  const dx = dst[j * 2]! - dst[i * 2]!;
  const dy = dst[j * 2 + 1]! - dst[i * 2 + 1]!;
  const length2 = sx * sx + sy * sy;
  if (length2 < MIN_PAIR_SPAN * MIN_PAIR_SPAN) return undefined;
  const a = (sx * dx + sy * dy) / length2;
  const b = (sx * dy - sy * dx) / length2;
  return { a, b, tx: dst[i * 2]! - a * src[i * 2]! + b * src[i * 2 + 1]!, ty: dst[i * 2 + 1]! - b * src[i * 2]! - a * src[i * 2 + 1]! };
}

function residual2(m: SimilarityTransform, src: Float32Array, dst: Float32Array, k: number): number {
  const x = src[k * 2]!;
  const y = src[k * 2 + 1]!;
  const ex = m.a * x - m.b * y + m.tx - dst[k * 2]!;
  const ey = m.b * x + m.a * y + m.ty - dst[k * 2 + 1]!;
  return ex * ex + ey * ey;
}

function countInliers(m: SimilarityTransform, src: Float32Array, dst: Float32Array, t2: number): number {
  let count = 0;
  for (let k = 0; k < src.length / 2; k++) if (residual2(m, src, dst, k) < t2) count++;
  return count;
}

function inlierMask(m: SimilarityTransform, src: Float32Array, dst: Float32Array, t2: number): Uint8Array {
  const mask = new Uint8Array(src.length / 2);
  for (let k = 0; k < mask.length; k++) mask[k] = residual2(m, src, dst, k) < t2 ? 1 : 0;
  return mask;
}

/** Closed-form least-squares similarity (Umeyama without reflection) over the inliers. */
function leastSquares(src: Float32Array, dst: Float32Array, inliers: Uint8Array): SimilarityTransform | undefined {
  let n = 0;
  let msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (let k = 0; k < inliers.length; k++) {
    if (!inliers[k]) continue;
    n++;
    msx += src[k * 2]!;
    msy += src[k * 2 + 1]!;
    mdx += dst[k * 2]!;
    mdy += dst[k * 2 + 1]!;
  }
  if (n < MIN_INLIERS) return undefined;
  msx /= n;
  msy /= n;
  mdx /= n;
  mdy /= n;
  let dot = 0, cross = 0, norm = 0;
  for (let k = 0; k < inliers.length; k++) {
    if (!inliers[k]) continue;
    const sx = src[k * 2]! - msx;
    const sy = src[k * 2 + 1]! - msy;
    const dx = dst[k * 2]! - mdx;
    const dy = dst[k * 2 + 1]! - mdy;
    dot += sx * dx + sy * dy;
    cross += sx * dy - sy * dx;
    norm += sx * sx + sy * sy;
  }
  if (norm < 1e-6) return undefined;
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: mdx - a * msx + b * msy, ty: mdy - b * msx - a * msy };
}

export function asHomography(m: SimilarityTransform): Homography {
  return [m.a, -m.b, m.tx, m.b, m.a, m.ty, 0, 0, 1];
}
