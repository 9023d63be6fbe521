import type { Box } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { withMats } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import type { DbBox } from './db-postprocess.ts';

/**
 * A component spanning this share of the crop both ways is background of the ink's polarity (a
 * plate, sky), not a glyph. Glyph rows in the synthetic set never exceed ~0.9 of a DB box's height.
 */
const BACKGROUND_SPAN = 0.97;
/** Components smaller than this (px) are JPEG specks, not glyph parts. */
const MIN_COMPONENT_AREA = 3;

/**
 * The extent of the glyph ink in a DB box, image px. DB's unclipped box carries a margin of about
 * one kernel height around the text (a small badge's box is twice its ink height), while lines are
 * measured tight around the ink. The box's crop is Otsu-thresholded; the polarity whose ink is
 * densest on DB's kernel (relative to the margin) is the text's, and the components touching the
 * kernel give the extent. Falls back to the box itself when no ink is found. OpenCV must be loaded.
 */
export function inkExtent(image: RgbImage, box: DbBox): Box {
  const x = Math.max(0, Math.floor(box.x));
  const y = Math.max(0, Math.floor(box.y));
  const w = Math.min(image.width, Math.ceil(box.x + box.w)) - x;
  const h = Math.min(image.height, Math.ceil(box.y + box.h)) - y;
  if (w < 3 || h < 3) return box;
  const gray = new Uint8Array(w * h);
  for (let row = 0; row < h; row++) {
    let from = ((y + row) * image.width + x) * 3;
    for (let col = 0; col < w; col++, from += 3) {
      gray[row * w + col] = (image.data[from]! * 77 + image.data[from + 1]! * 150 + image.data[from + 2]! * 29) >> 8;
    }
  }
  const kx0 = Math.max(0, Math.floor(box.kernel.x) - x);
  const ky0 = Math.max(0, Math.floor(box.kernel.y) - y);
  const kx1 = Math.min(w, Math.ceil(box.kernel.x + box.kernel.w) - x);
  const ky1 = Math.min(h, Math.ceil(box.kernel.y + box.kernel.h) - y);
  if (kx1 <= kx0 || ky1 <= ky0) return box;
  const found = withMats((scope) => {
    const c = cv();
    const crop = scope.track(c.matFromArray(h, w, c.CV_8UC1, gray));
    const dark = scope.track(new c.Mat());
    const level = c.threshold(crop, dark, 0, 255, c.THRESH_BINARY_INV + c.THRESH_OTSU);
    const light = scope.track(new c.Mat());
    c.threshold(crop, light, level, 255, c.THRESH_BINARY);
    const ink = kernelContrast(dark.data, w, h, kx0, ky0, kx1, ky1) >= kernelContrast(light.data, w, h, kx0, ky0, kx1, ky1) ? dark : light;
    const labels = scope.track(new c.Mat());
    const stats = scope.track(new c.Mat());
    const centroids = scope.track(new c.Mat());
    const n = c.connectedComponentsWithStats(ink, labels, stats, centroids, 8, c.CV_32S);
    let x0 = w;
    let y0 = h;
    let x1 = -1;
    let y1 = -1;
    for (let i = 1; i < n; i++) {
      const left = stats.intAt(i, c.CC_STAT_LEFT);
      const top = stats.intAt(i, c.CC_STAT_TOP);
      const cw = stats.intAt(i, c.CC_STAT_WIDTH);
      const ch = stats.intAt(i, c.CC_STAT_HEIGHT);
      if (stats.intAt(i, c.CC_STAT_AREA) < MIN_COMPONENT_AREA) continue;
      if (cw >= BACKGROUND_SPAN * w && ch >= BACKGROUND_SPAN * h) continue;
      if (left >= kx1 || left + cw <= kx0 || top >= ky1 || top + ch <= ky0) continue;
      x0 = Math.min(x0, left);
      y0 = Math.min(y0, top);
      x1 = Math.max(x1, left + cw);
      y1 = Math.max(y1, top + ch);
    }
    return x1 < 0 ? undefined : { x: x + x0, y: y + y0, w: x1 - x0, h: y1 - y0 };
  });
  return found ?? box;
}

/** Ink share on the kernel minus ink share on the margin around it. */
function kernelContrast(mask: Uint8Array, w: number, h: number, kx0: number, ky0: number, kx1: number, ky1: number): number {
  let inside = 0;
  let outside = 0;
  for (let row = 0; row < h; row++) {
    for (let col = 0; col < w; col++) {
      if (!mask[row * w + col]) continue;
      if (col >= kx0 && col < kx1 && row >= ky0 && row < ky1) inside++;
      else outside++;
    }
  }
  const kernelArea = (kx1 - kx0) * (ky1 - ky0);
  const marginArea = w * h - kernelArea;
  return inside / kernelArea - (marginArea > 0 ? outside / marginArea : 0);
}
