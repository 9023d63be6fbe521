import { cv } from '../opencv/runtime.ts';
import { withMats, type MatScope } from '../opencv/mat-scope.ts';
import type { Box } from '../geometry/box.ts';
import { composeHomographies, invertHomography, scaling, type Homography } from './homography.ts';
import type { ImageSignature } from './image-signature.ts';

/** Fewer overlapping thumbnail pixels than this and the SSIM is not trusted (reported as 0). */
const MIN_OVERLAP_PIXELS = 300;
/**
 * SSIM's Gaussian window: Wang et al.'s σ 1.5, cut at 7 px rather than their 11 on thumbnails of
 * 64 px. The overlap mask is eroded by the same window, so no window straddles its edge.
 */
const SSIM_WINDOW = { side: 7, sigma: 1.5 } as const;

/**
 * SSIM of two thumbnails after warping one onto the other with the feature homography (b → a, in
 * feature-frame pixels), averaged over the overlap only and outside both images' text regions. Both
 * are rank-normalised over the overlap first (each pixel replaced by the share of overlap pixels
 * darker than it), so a grade — any tone curve, black-and-white, duotone — does not count as a
 * difference, while structure that moved or was painted over does.
 * The image that is sharper over the overlap is the one warped, so warping only ever shrinks pixels.
 */
export function alignedSsim(a: ImageSignature, b: ImageSignature, homography: Homography): number {
  const toThumbA = scaling(a.thumbnail.width / a.featureFrame.width, a.thumbnail.height / a.featureFrame.height);
  const fromThumbB = scaling(b.featureFrame.width / b.thumbnail.width, b.featureFrame.height / b.thumbnail.height);
  const bToA = composeHomographies(toThumbA, composeHomographies(homography, fromThumbB));
  const magnifies = Math.abs(bToA[0] * bToA[4] - bToA[1] * bToA[3]) > 1;
  const [fixed, moving, transform] = magnifies ? [b, a, invertHomography(bToA)] : [a, b, bToA];
  return withMats((scope) => ssimOverOverlap(scope, fixed, moving, transform, MIN_OVERLAP_PIXELS));
}

function ssimOverOverlap(scope: MatScope, fixed: ImageSignature, moving: ImageSignature, transform: Homography, minPixels: number): number {
  const c = cv();
  const { width, height } = fixed.thumbnail;
  const fixedMat = scope.track(c.matFromArray(height, width, c.CV_8UC1, fixed.thumbnail.data));
  const movingMat = scope.track(c.matFromArray(moving.thumbnail.height, moving.thumbnail.width, c.CV_8UC1, moving.thumbnail.data));
  const h = scope.track(c.matFromArray(3, 3, c.CV_64FC1, transform));
  const size = new c.Size(width, height);
  const warped = scope.track(new c.Mat());
  c.warpPerspective(movingMat, warped, h, size, c.INTER_LINEAR, c.BORDER_CONSTANT, new c.Scalar(0));
  const movingMask = scope.track(textFreeMask(moving.thumbnail.width, moving.thumbnail.height, moving.textRegions));
  const warpedMask = scope.track(new c.Mat());
  c.warpPerspective(movingMask, warpedMask, h, size, c.INTER_NEAREST, c.BORDER_CONSTANT, new c.Scalar(0));
  const fixedMask = scope.track(textFreeMask(width, height, fixed.textRegions));
  const mask = scope.track(new c.Mat());
  c.bitwise_and(warpedMask, fixedMask, mask);
  rankNormalise(fixedMat.data, mask.data);
  rankNormalise(warped.data, mask.data);
  // SSIM windows must not straddle the edge of the overlap, where the warped image is black.
  const kernel = scope.track(c.Mat.ones(SSIM_WINDOW.side, SSIM_WINDOW.side, c.CV_8U));
  c.erode(mask, mask, kernel);

  const f1 = scope.track(new c.Mat());
  const f2 = scope.track(new c.Mat());
  fixedMat.convertTo(f1, c.CV_32F);
  warped.convertTo(f2, c.CV_32F);
  const blur = (m: InstanceType<typeof c.Mat>) => {
    const out = scope.track(new c.Mat());
    c.GaussianBlur(m, out, new c.Size(SSIM_WINDOW.side, SSIM_WINDOW.side), SSIM_WINDOW.sigma, SSIM_WINDOW.sigma, c.BORDER_REFLECT);
    return out;
  };
  const product = (x: InstanceType<typeof c.Mat>, y: InstanceType<typeof c.Mat>) => {
    const out = scope.track(new c.Mat());
    c.multiply(x, y, out);
    return out;
  };
  const mu1 = blur(f1).data32F;
  const mu2 = blur(f2).data32F;
  const s11 = blur(product(f1, f1)).data32F;
  const s22 = blur(product(f2, f2)).data32F;
  const s12 = blur(product(f1, f2)).data32F;
  const m = mask.data;
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < m.length; i++) {
    if (!m[i]) continue;
    const a = mu1[i]!;
    const b = mu2[i]!;
    const va = s11[i]! - a * a;
    const vb = s22[i]! - b * b;
    const cov = s12[i]! - a * b;
    sum += ((2 * a * b + C1) * (2 * cov + C2)) / ((a * a + b * b + C1) * (va + vb + C2));
    count++;
  }
  return count >= minPixels ? Math.max(0, sum / count) : 0;
}

function textFreeMask(width: number, height: number, textRegions: Box[]) {
  const c = cv();
  const mask = new c.Mat(height, width, c.CV_8UC1, new c.Scalar(255));
  for (const r of textRegions) {
    const x0 = Math.max(0, Math.floor(r.x * width));
    const y0 = Math.max(0, Math.floor(r.y * height));
    const x1 = Math.min(width, Math.ceil((r.x + r.w) * width));
    const y1 = Math.min(height, Math.ceil((r.y + r.h) * height));
    for (let y = y0; y < y1; y++) mask.data.fill(0, y * width + x0, y * width + x1);
  }
  return mask;
}

/** Replaces each value by 255 × its rank (mid-rank of ties) among the pixels under `mask`, in place. */
function rankNormalise(pixels: Uint8Array, mask: Uint8Array): void {
  const counts = new Float64Array(256);
  let total = 0;
  for (let i = 0; i < pixels.length; i++) {
    if (!mask[i]) continue;
    counts[pixels[i]!]!++;
    total++;
  }
  if (total === 0) return;
  const lut = new Uint8Array(256);
  let below = 0;
  for (let v = 0; v < 256; v++) {
    lut[v] = Math.round((255 * (below + counts[v]! / 2)) / total);
    below += counts[v]!;
  }
  for (let i = 0; i < pixels.length; i++) pixels[i] = lut[pixels[i]!]!;
}
