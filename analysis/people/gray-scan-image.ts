import type * as OpenCV from '@techstark/opencv-js';
import type { MatScope } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';

/** A grey, contrast-equalised copy of the working image at the resolution one cascade runs at. */
export interface GrayScanImage {
  mat: OpenCV.Mat;
  /** Working-image pixels per scan pixel (≥ 1): multiply scan boxes by it to get working boxes. */
  scale: number;
}

/**
 * Downscales `gray` so its long side is at most `longSide` and equalises its histogram. Haar
 * cascades were trained on equalised faces, and equalising rescues dim and hazy photos.
 */
export function grayScanImage(scope: MatScope, gray: OpenCV.Mat, longSide: number): GrayScanImage {
  const scale = Math.max(1, Math.max(gray.cols, gray.rows) / longSide);
  const resized = scope.track(new (cv().Mat)());
  if (scale > 1) {
    const size = new (cv().Size)(Math.round(gray.cols / scale), Math.round(gray.rows / scale));
    cv().resize(gray, resized, size, 0, 0, cv().INTER_AREA);
  } else {
    gray.copyTo(resized);
  }
  const equalized = scope.track(new (cv().Mat)());
  cv().equalizeHist(resized, equalized);
  return { mat: equalized, scale: gray.cols / equalized.cols };
}

