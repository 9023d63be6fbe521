import { createHash } from 'node:crypto';
import type { Box } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { colorHistogram } from './color-histogram.ts';
import { colorPalette, type ColorPalette } from './color-palette.ts';
import { contrastNormalised, grayAtLongSides, type GrayImage } from './gray-image.ts';
import { orbFeatures, type OrbFeatures } from './orb-features.ts';

/**
 * Everything lineage grouping needs to know about one image, computed once and stored (the queue
 * worker keeps it in Redis through `encodeSignature`). Never needs the pixels again.
 */
export interface ImageSignature {
  /** Hex SHA-256 (first 128 bits) of the analysed pixels: identity, canonical order and lineage ids. */
  contentHash: string;
  /** Size of the analysed image; only the aspect ratio matters downstream. */
  width: number;
  height: number;
  /** HSV histogram, sums to 1 (see color-histogram.ts). */
  histogram: Float32Array;
  /** Grayscale thumbnail for aligned SSIM. */
  thumbnail: GrayImage;
  /** Width and height of the frame ORB ran on (long side FEATURE_SIZE); keypoints are in its pixels. */
  featureFrame: { width: number; height: number };
  features: OrbFeatures;
  /** CIELAB palette for the Earth Mover's Distance. */
  palette: ColorPalette;
  /** Text (title treatments, badges) as fractions of width/height; ignored by SSIM and feature matching. */
  textRegions: Box[];
}

export interface SignatureOptions {
  /**
   * Text regions in pixels of `image` (e.g. from detectText), so that a title treatment neither adds
   * keypoints nor lowers SSIM. Default none.
   */
  textRegions?: Box[];
}

/** Long side of the stored grayscale thumbnail (with 400 keypoints the signature stays under 20 kB). */
const THUMBNAIL_SIZE = 64;
/** Long side of the frame ORB runs on; images are scaled to it so keypoint scales are comparable. */
const FEATURE_SIZE = 512;

/** Computes the signature of one decoded image. Pure and synchronous; OpenCV must be loaded. */
export function computeSignature(image: RgbImage, options: SignatureOptions = {}): ImageSignature {
  const textRegions = (options.textRegions ?? []).map((b) => ({
    x: b.x / image.width,
    y: b.y / image.height,
    w: b.w / image.width,
    h: b.h / image.height,
  }));
  const [featureGray, thumbnail] = grayAtLongSides(image, [FEATURE_SIZE, THUMBNAIL_SIZE]) as [GrayImage, GrayImage];
  const frame = contrastNormalised(featureGray);
  const features = orbFeatures(frame, {
    exclude: textRegions.map((b) => ({ x: b.x * frame.width, y: b.y * frame.height, w: b.w * frame.width, h: b.h * frame.height })),
  });
  return {
    contentHash: contentHash(image),
    width: image.width,
    height: image.height,
    histogram: colorHistogram(image),
    thumbnail,
    featureFrame: { width: frame.width, height: frame.height },
    features,
    palette: colorPalette(image),
    textRegions,
  };
}

function contentHash(image: RgbImage): string {
  const hash = createHash('sha256');
  hash.update(`${image.width}x${image.height}:`);
  hash.update(image.data);
  return hash.digest('hex').slice(0, 32);
}
