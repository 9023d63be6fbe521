import type * as OpenCV from '@techstark/opencv-js';
import type { RgbImage } from '../image/rgb-image.ts';
import { withMats, type MatScope } from './mat-scope.ts';
import { cv } from './runtime.ts';
import { rgbMat } from './rgb-mat.ts';

/** 8-bit luma, row-major, one byte per pixel. */
export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Each working image's grey, made once: the people stage, edge focus and the lineage signature all
 * start from it. Held as long as the image itself (decoded pixels are never changed in place).
 */
const grays = new WeakMap<RgbImage, GrayImage>();

/** The grey of a working image (OpenCV's RGB to grey), converted on first use and shared after. */
function grayOf(image: RgbImage): GrayImage {
  let gray = grays.get(image);
  if (!gray) {
    gray = withMats((scope) => {
      const out = scope.track(new (cv().Mat)());
      cv().cvtColor(rgbMat(scope, image), out, cv().COLOR_RGB2GRAY);
      return { data: out.data.slice(), width: image.width, height: image.height };
    });
    grays.set(image, gray);
  }
  return gray;
}

/**
 * Grey working image at full working resolution as a Mat (grayOf), freed with `scope`: the people
 * stage's scan images and checks and the edge focus's energy map are all derived from it.
 */
export function toGrayMat(scope: MatScope, image: RgbImage): OpenCV.Mat {
  const gray = grayOf(image);
  return scope.track(cv().matFromArray(gray.height, gray.width, cv().CV_8UC1, gray.data));
}
