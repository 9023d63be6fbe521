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
  /** Mean grey around each pixel over a window of a few glyph heights: what ink stands out from. */
  localMean: Uint8Array;
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
  const gradient = scope.track(new c.Mat());
  c.morphologyEx(gray, gradient, c.MORPH_GRADIENT, scope.track(c.getStructuringElement(c.MORPH_RECT, new c.Size(3, 3))));
  const gradientSums = scope.track(new c.Mat());
  c.integral(gradient, gradientSums, c.CV_32S);
  // The local mean is computed once and compared both ways instead of running adaptiveThreshold per
  // polarity; its window spans a few glyph heights of subtitle-sized text.
  const block = Math.max(15, 2 * Math.round(Math.min(width, height) / 40) + 1);
  const localMean = scope.track(new c.Mat());
  c.blur(gray, localMean, new c.Size(block, block), new c.Point(-1, -1), c.BORDER_REPLICATE);

  // No OpenCV allocation from here on: the views below must not be detached.
  return {
    scale,
    width,
    height,
    gray: { data: gray.data, width, height, integral: graySums.data32S },
    gradient: { data: gradient.data, width, height, integral: gradientSums.data32S },
    localMean: localMean.data,
  };
}
