import type { Box } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { detectText } from '../text/detect-text.ts';
import { computeSignature, type ImageSignature } from './image-signature.ts';

/**
 * The lineage signature of an image as artmeta computes it everywhere (analysis threads, `artmeta
 * cluster`, `artmeta similarity`, evaluations): of the decoded working copy, with its text masked
 * so that title treatments and badges neither add keypoints nor count in SSIM. `textRegions`, in
 * pixels of `pixels`, saves detecting the text again when an analysis has just found it.
 * OpenCV must be loaded.
 */
export function lineageSignature(pixels: RgbImage, textRegions: Box[] = detectText(pixels).regions): ImageSignature {
  return computeSignature(pixels, { textRegions });
}
