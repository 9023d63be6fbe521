import { cv } from '../opencv/runtime.ts';
import { withMats } from '../opencv/mat-scope.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { rgbMat } from '../opencv/rgb-mat.ts';

/** 8-bit luma, row-major, one byte per pixel. */
export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Grayscale copy of `image` resized so its long side is `longSide` (area averaging when shrinking). */
export function grayAtLongSide(image: RgbImage, longSide: number): GrayImage {
  const scale = longSide / Math.max(image.width, image.height);
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  return withMats((scope) => {
    const c = cv();
    const rgb = rgbMat(scope, image);
    const gray = scope.track(new c.Mat());
    c.cvtColor(rgb, gray, c.COLOR_RGB2GRAY);
    const resized = scope.track(new c.Mat());
    c.resize(gray, resized, new c.Size(width, height), 0, 0, scale < 1 ? c.INTER_AREA : c.INTER_LINEAR);
    return { data: Uint8Array.from(resized.data), width, height };
  });
}
