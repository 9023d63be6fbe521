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
  /** Width and height of the frame ORB ran on (long side FEATURE_SIZE, longer for a banner); keypoints are in its pixels. */
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
/**
 * Shortest side a FEATURE_SIZE frame may have. ORB keeps keypoints 31 px from every border, so a
 * 512 px frame of an image longer than 8:1 (under 64 px high: one row of keypoints or none) has none
 * or a handful, and such an image joined no lineage, not even with its own re-encode. 64 is the
 * measured working limit (8:1: index 0.9952 against a ×0.7 q60 copy, 8.5:1: 0; BENCHMARKS.md), so
 * every image up to 8:1 keeps its frame, and its signature, bit for bit.
 */
const MIN_FEATURE_SHORT_SIDE = 64;
/**
 * Short side the frame of a longer image (a banner) is given instead: room for keypoints on the first
 * three pyramid levels (128 / 1.2³ = 74 px > 2 × 31), twice the limit above. The thumbnail keeps its
 * 1/8 of the frame (16 px short side), enough for SSIM's 7 px windows.
 */
const BANNER_FEATURE_SHORT_SIDE = 128;
/**
 * Longest side a banner's frame may have: at 128 px high, the area of a 512 × 500 frame (ORB's time and
 * the signature's size stay those of a square photo), and under the 2047 px the codec can store
 * keypoints of (1/32 px in 16 bits). Past 2000 / 128 ≈ 16:1 the frame gets thinner again, and past
 * ~31:1 (2000 / 64) it has no keypoints.
 */
const MAX_BANNER_FEATURE_LONG_SIDE = 2000;
/** The thumbnail is this much smaller than the feature frame (64 of 512). */
const THUMBNAIL_SHRINK = FEATURE_SIZE / THUMBNAIL_SIZE;

/** Computes the signature of one decoded image. Pure and synchronous; OpenCV must be loaded. */
export function computeSignature(image: RgbImage, options: SignatureOptions = {}): ImageSignature {
  const textRegions = (options.textRegions ?? []).map((b) => ({
    x: b.x / image.width,
    y: b.y / image.height,
    w: b.w / image.width,
    h: b.h / image.height,
  }));
  const featureSize = featureLongSide(image);
  const [featureGray, thumbnail] = grayAtLongSides(image, [featureSize, Math.round(featureSize / THUMBNAIL_SHRINK)]) as [GrayImage, GrayImage];
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

/**
 * FEATURE_SIZE, unless that leaves the frame's short side under MIN_FEATURE_SHORT_SIDE: then the long
 * side that gives it BANNER_FEATURE_SHORT_SIDE, at most MAX_BANNER_FEATURE_LONG_SIDE.
 */
function featureLongSide(image: RgbImage): number {
  const long = Math.max(image.width, image.height);
  const short = Math.min(image.width, image.height);
  if (Math.round((short * FEATURE_SIZE) / long) >= MIN_FEATURE_SHORT_SIDE) return FEATURE_SIZE;
  return Math.min(MAX_BANNER_FEATURE_LONG_SIDE, Math.ceil((BANNER_FEATURE_SHORT_SIDE * long) / short));
}

function contentHash(image: RgbImage): string {
  const hash = createHash('sha256');
  hash.update(`${image.width}x${image.height}:`);
  hash.update(image.data);
  return hash.digest('hex').slice(0, 32);
}
