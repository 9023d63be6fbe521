import { type Box, clamp } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';

/**
 * Skin's chrominance box in YCrCb (8-bit, offset 128), close to Chai & Ngan's (Cr 133-173, Cb
 * 77-127) with Cr reaching further for shade and mixed light: skin of every ethnicity clusters in a
 * small Cr/Cb range whatever its brightness. Margin per pixel not measured; the share of such pixels
 * a face needs (minSkinRatio in face-detector.ts) has its margins there.
 */
const SKIN_CR = { min: 135, max: 180 } as const;
const SKIN_CB = { min: 80, max: 130 } as const;
/** Luma bounds: very dark and blown-out pixels are left out, their chrominance is unreliable. Margin not measured. */
const SKIN_LUMA = { min: 30, max: 250 } as const;
/** Samples across the shorter side of a box in skinRatio: bounds the cost per face (not compared with a denser grid). */
const SKIN_SAMPLE_GRID = 32;
/** About how many pixels meanChroma samples: bounds the cost per photo (not compared with every pixel). */
const CHROMA_SAMPLES = 20_000;

/** Skin-tone test of one pixel (BT.601 luma and chroma). */
function isSkin(r: number, g: number, b: number): boolean {
  const y = 0.299 * r + 0.587 * g + 0.114 * b;
  if (y < SKIN_LUMA.min || y > SKIN_LUMA.max) return false;
  const cr = 128 + 0.713 * (r - y);
  const cb = 128 + 0.564 * (b - y);
  return cr >= SKIN_CR.min && cr <= SKIN_CR.max && cb >= SKIN_CB.min && cb <= SKIN_CB.max;
}

/** Share of the pixels of `box` (working px) that look like skin, sampled on a grid of at most ~32×32. */
export function skinRatio(image: RgbImage, box: Box): number {
  const x0 = clamp(Math.round(box.x), 0, image.width - 1);
  const y0 = clamp(Math.round(box.y), 0, image.height - 1);
  const x1 = clamp(Math.round(box.x + box.w), x0 + 1, image.width);
  const y1 = clamp(Math.round(box.y + box.h), y0 + 1, image.height);
  const step = Math.max(1, Math.floor(Math.min(x1 - x0, y1 - y0) / SKIN_SAMPLE_GRID));
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
  const step = Math.max(1, Math.floor(pixels / CHROMA_SAMPLES));
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
