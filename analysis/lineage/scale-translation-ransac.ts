import type { Homography } from './homography.ts';

/** x' = sx·x + tx, y' = sy·y + ty: how a crop-and-resize maps one image onto another. */
export interface ScaleTranslation {
  sx: number;
  sy: number;
  tx: number;
  ty: number;
}

export interface RansacOptions {
  /** Reprojection error (pixels) under which a match is an inlier. Default 4. */
  threshold?: number;
  /** Most hypotheses tried; fewer once the inlier rate is known to be high. Default 400. */
  iterations?: number;
  /** Scale range accepted (ratio of the two frames). Default 1/8..8. */
  maxScale?: number;
}

export interface RansacResult {
  model: ScaleTranslation;
  inliers: Uint8Array;
  inlierCount: number;
  /** Root-mean-square reprojection error of the inliers, pixels. */
  rmsError: number;
}

/**
 * RANSAC for the model derivatives actually follow (crop + resize, no rotation or perspective): two
 * matches fix scale and translation. Four parameters instead of a homography's eight means a tight
 * threshold still finds the transform among many outliers, and a stereo or viewpoint pair — whose
 * parallax a full homography would partly absorb — does not fit it. Deterministic: the hypotheses come
 * from a fixed-seed generator.
 */
export function ransacScaleTranslation(src: Float32Array, dst: Float32Array, options: RansacOptions = {}): RansacResult | undefined {
  const n = src.length / 2;
  if (n < 3) return undefined;
  const threshold = options.threshold ?? 4;
  const maxScale = options.maxScale ?? 8;
  const t2 = threshold * threshold;
  let random = 0x9e3779b9;
  const next = () => {
    random ^= random << 13;
    random ^= random >>> 17;
    random ^= random << 5;
    return (random >>> 0) % n;
  };
  let best: ScaleTranslation | undefined;
  let bestCount = 0;
  let iterations = options.iterations ?? 400;
  for (let it = 0; it < iterations; it++) {
    const i = next();
    const j = next();
    if (i === j) continue;
    const dsx = src[j * 2]! - src[i * 2]!;
    const dsy = src[j * 2 + 1]! - src[i * 2 + 1]!;
    const ddx = dst[j * 2]! - dst[i * 2]!;
    const ddy = dst[j * 2 + 1]! - dst[i * 2 + 1]!;
    const srcLength = Math.hypot(dsx, dsy);
    if (srcLength < 8) continue;
    const s = Math.hypot(ddx, ddy) / srcLength;
    if (!(s > 1 / maxScale && s < maxScale)) continue;
    const model = { sx: s, sy: s, tx: dst[i * 2]! - s * src[i * 2]!, ty: dst[i * 2 + 1]! - s * src[i * 2 + 1]! };
    const count = countInliers(model, src, dst, t2);
    if (count > bestCount) {
      bestCount = count;
      best = model;
      // Enough hypotheses for 99% confidence of having drawn two inliers at the current inlier rate.
      const w = count / n;
      iterations = Math.min(iterations, Math.ceil(Math.log(0.01) / Math.log(Math.max(1e-9, 1 - w * w))));
    }
  }
  if (!best) return undefined;
  // Refit on the inliers (least squares per axis), then recount: the two-point guess is noisy.
  let model = best;
  for (let round = 0; round < 2; round++) {
    const inliers = inlierMask(model, src, dst, t2);
    const refined = leastSquares(src, dst, inliers);
    if (!refined) break;
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
  return inlierCount >= 3 ? { model, inliers, inlierCount, rmsError: Math.sqrt(squared / inlierCount) } : undefined;
}

function residual2(m: ScaleTranslation, src: Float32Array, dst: Float32Array, k: number): number {
  const ex = m.sx * src[k * 2]! + m.tx - dst[k * 2]!;
  const ey = m.sy * src[k * 2 + 1]! + m.ty - dst[k * 2 + 1]!;
  return ex * ex + ey * ey;
}

function countInliers(m: ScaleTranslation, src: Float32Array, dst: Float32Array, t2: number): number {
  let count = 0;
  for (let k = 0; k < src.length / 2; k++) if (residual2(m, src, dst, k) < t2) count++;
  return count;
}

function inlierMask(m: ScaleTranslation, src: Float32Array, dst: Float32Array, t2: number): Uint8Array {
  const mask = new Uint8Array(src.length / 2);
  for (let k = 0; k < mask.length; k++) mask[k] = residual2(m, src, dst, k) < t2 ? 1 : 0;
  return mask;
}

function leastSquares(src: Float32Array, dst: Float32Array, inliers: Uint8Array): ScaleTranslation | undefined {
  const axis = (offset: number) => {
    let n = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (let k = 0; k < inliers.length; k++) {
      if (!inliers[k]) continue;
      const x = src[k * 2 + offset]!;
      const y = dst[k * 2 + offset]!;
      n++;
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    const denominator = n * sxx - sx * sx;
    if (n < 3 || Math.abs(denominator) < 1e-6) return undefined;
    const scale = (n * sxy - sx * sy) / denominator;
    return { scale, shift: (sy - scale * sx) / n };
  };
  const x = axis(0);
  const y = axis(1);
  if (!x || !y || x.scale <= 0 || y.scale <= 0) return undefined;
  return { sx: x.scale, sy: y.scale, tx: x.shift, ty: y.shift };
}

export function asHomography(m: ScaleTranslation): Homography {
  return [m.sx, 0, m.tx, 0, m.sy, m.ty, 0, 0, 1];
}
