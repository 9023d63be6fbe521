import type * as OpenCV from '@techstark/opencv-js';
import type { MatScope } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';

/**
 * A grey crop Otsu-thresholded both ways at the one level: `dark` marks the pixels darker than it
 * (dark ink on a light ground), `light` the others (light ink on a dark ground). A line may be
 * either, so callers measure both and keep the one whose ink reads as glyphs.
 */
export function inkPolarities(scope: MatScope, gray: OpenCV.Mat): { dark: OpenCV.Mat; light: OpenCV.Mat } {
  const c = cv();
  const dark = scope.track(new c.Mat());
  const level = c.threshold(gray, dark, 0, 255, c.THRESH_BINARY_INV + c.THRESH_OTSU);
  const light = scope.track(new c.Mat());
  c.threshold(gray, light, level, 255, c.THRESH_BINARY);
  return { dark, light };
}
