import type * as OpenCV from '@techstark/opencv-js';
import type { RgbImage } from '../image/rgb-image.ts';
import type { MatScope } from './mat-scope.ts';
import { cv } from './runtime.ts';

/** `image` as an 8-bit, 3-channel Mat (a copy into WASM memory), freed with `scope`. */
export function rgbMat(scope: MatScope, image: RgbImage): OpenCV.Mat {
  return scope.track(cv().matFromArray(image.height, image.width, cv().CV_8UC3, image.data));
}
