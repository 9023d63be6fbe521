import { type Box, clamp } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';

/**
 * Skin-tone test in YCrCb (Chai & Ngan's chrominance box, widened for shade and mixed light):
 * skin of every ethnicity clusters in a small Cr/Cb range whatever its brightness.
 */
function isSkin(r: number, g: number, b: number): boolean {
  const y = 0.299 * r + 0.587 * g + 0.114 * b;
  if (y < 30 || y > 250) return false;
  const cr = 128 + 0.713 * (r - y);
  const cb = 128 + 0.564 * (b - y);
  return cr >= 135 && cr <= 180 && cb >= 80 && cb <= 130;
}

/** Share of the pixels of `box` (working px) that look like skin, sampled on a grid of at most ~32×32. */
export function skinRatio(image: RgbImage, box: Box): number {
  const x0 = clamp(Math.round(box.x), 0, image.width - 1);
  const y0 = clamp(Math.round(box.y), 0, image.height - 1);
  const x1 = clamp(Math.round(box.x + box.w), x0 + 1, image.width);
  const y1 = clamp(Math.round(box.y + box.h), y0 + 1, image.height);
  const step = Math.max(1, Math.floor(Math.min(x1 - x0, y1 - y0) / 32));
  let skin = 0;
  let total = 0;
  for (let y = y0; y < y1; y += step) {
    for (let x = x0; x < x1; x += step) {
      const i = (y * image.width + x) * 3;
      if (isSkin(image.data[i]!, image.data[i + 1]!, image.data[i + 2]!)) skin++;
      total++;
    }
  }
  return total > 0 ? skin / total : 0;
}

/**
 * Mean chroma of the image (0 = grey). Skin tone says nothing in black-and-white or sepia-free
 * grey photos, so the caller skips that check when this is small.
 */
export function meanChroma(image: RgbImage): number {
  const pixels = image.width * image.height;
  const step = Math.max(1, Math.floor(pixels / 20_000));
  let sum = 0;
  let n = 0;
  for (let p = 0; p < pixels; p += step) {
    const i = p * 3;
    const r = image.data[i]!;
    const g = image.data[i + 1]!;
    const b = image.data[i + 2]!;
    sum += Math.max(r, g, b) - Math.min(r, g, b);
    n++;
  }
  return n > 0 ? sum / n : 0;
}
