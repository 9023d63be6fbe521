import type { RgbImage } from '../image/rgb-image.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { rgbMat } from '../opencv/rgb-mat.ts';
import { cv } from '../opencv/runtime.ts';
import type { GrayPlane } from './gray-plane.ts';

/** The per-pixel planes text detection reads, at its working size. */
export interface TextPlanes {
  /** Input pixels per working pixel (≥ 1). */
  scale: number;
  width: number;
  height: number;
  gray: GrayPlane;
  /** Morphological gradient (edge strength) of the grey image; only its integral is read. */
  gradient: GrayPlane;
  /**
   * Sum of the grey levels in the `localWindow` × `localWindow` square around each pixel (edges
   * replicated): over `localWindow`², the local mean ink stands out from.
   */
  localSums: Int32Array;
  /** Side of the local window, a few glyph heights of subtitle-sized text; always odd. */
  localWindow: number;
}

/**
 * Runs all of text detection's OpenCV work and returns views of its results in WASM memory, not
 * copies. The views stay valid while `scope` lives and no OpenCV object is allocated after this
 * call: a heap growth would detach them. Callers only read the planes from JavaScript.
 */
export function textPlanes(scope: MatScope, image: RgbImage, workingSize: number): TextPlanes {
  const c = cv();
  const fullGray = scope.track(new c.Mat());
  c.cvtColor(rgbMat(scope, image), fullGray, c.COLOR_RGB2GRAY);
  // Capped so the 32-bit integral images cannot overflow (≤ 4 megapixels).
  const scale = Math.max(1, Math.max(image.width, image.height) / Math.min(workingSize, 2048));
  let gray = fullGray;
  if (scale > 1) {
    gray = scope.track(new c.Mat());
    c.resize(fullGray, gray, new c.Size(Math.round(image.width / scale), Math.round(image.height / scale)), 0, 0, c.INTER_AREA);
  }
  const width = gray.cols;
  const height = gray.rows;
  const graySums = scope.track(new c.Mat());
  c.integral(gray, graySums, c.CV_32S);
  // MORPH_GRADIENT in three steps: OpenCV's morphologyEx takes longer for the same values.
  const kernel = scope.track(c.getStructuringElement(c.MORPH_RECT, new c.Size(3, 3)));
  const dilated = scope.track(new c.Mat());
  c.dilate(gray, dilated, kernel);
  const eroded = scope.track(new c.Mat());
  c.erode(gray, eroded, kernel);
  const gradient = scope.track(new c.Mat());
  c.subtract(dilated, eroded, gradient);
  const gradientSums = scope.track(new c.Mat());
  c.integral(gradient, gradientSums, c.CV_32S);
  // The local sums are computed once and compared both ways instead of running adaptiveThreshold
  // per polarity. Unnormalised 32-bit sums cost half of blur's rounded 8-bit means.
  const localWindow = Math.max(15, 2 * Math.round(Math.min(width, height) / 40) + 1);
  const localSums = scope.track(new c.Mat());
  c.boxFilter(gray, localSums, c.CV_32S, new c.Size(localWindow, localWindow), new c.Point(-1, -1), false, c.BORDER_REPLICATE);

  // No OpenCV allocation from here on: the views below must not be detached.
  return {
    scale,
    width,
    height,
    gray: { data: gray.data, width, height, integral: graySums.data32S },
    gradient: { data: gradient.data, width, height, integral: gradientSums.data32S },
    localSums: localSums.data32S,
    localWindow,
  };
}
