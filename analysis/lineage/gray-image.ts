import { cv } from '../opencv/runtime.ts';
import { withMats } from '../opencv/mat-scope.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { type GrayImage, toGrayMat } from '../opencv/gray-mat.ts';

export type { GrayImage } from '../opencv/gray-mat.ts';

/**
 * Grayscale copies of `image` resized so their long sides are `longSides` (area averaging when
 * shrinking), in that order, from the image's shared grey (grayOf).
 */
export function grayAtLongSides(image: RgbImage, longSides: readonly number[]): GrayImage[] {
  return withMats((scope) => {
    const c = cv();
    const gray = toGrayMat(scope, image);
    return longSides.map((longSide) => {
      const scale = longSide / Math.max(image.width, image.height);
      const width = Math.max(1, Math.round(image.width * scale));
      const height = Math.max(1, Math.round(image.height * scale));
      const resized = scope.track(new c.Mat());
      c.resize(gray, resized, new c.Size(width, height), 0, 0, scale < 1 ? c.INTER_AREA : c.INTER_LINEAR);
      return { data: Uint8Array.from(resized.data), width, height };
    });
  });
}

/** CLAHE clip limit: strong enough to lift the detail a faded, flat or dark grade has pressed together, low enough not to make corners of JPEG noise in flat sky. */
const CLAHE_CLIP_LIMIT = 2;
/** CLAHE tiles per side: local enough that a vignette or a soft glow does not hide the corners of one part of the picture. */
const CLAHE_TILES = 8;

/**
 * Contrast-normalised copy (CLAHE): grades and filters that compress or stretch the tones (faded
 * blacks, flat contrast, gamma, vignette, soft glow) change how many FAST corners pass a threshold and
 * which are strongest; after local equalisation both copies show about the same corners.
 */
export function contrastNormalised(frame: GrayImage): GrayImage {
  return withMats((scope) => {
    const c = cv();
    const gray = scope.track(c.matFromArray(frame.height, frame.width, c.CV_8UC1, frame.data));
    const clahe = scope.track(new c.CLAHE(CLAHE_CLIP_LIMIT, new c.Size(CLAHE_TILES, CLAHE_TILES)));
    const out = scope.track(new c.Mat());
    clahe.apply(gray, out);
    return { data: Uint8Array.from(out.data), width: frame.width, height: frame.height };
  });
}
