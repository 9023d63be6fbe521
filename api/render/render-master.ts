import sharp, { type Sharp } from 'sharp';
import type { Box } from '../../analysis/geometry/box.ts';
import type { Size } from './crop-render.ts';

/**
 * Longest side of a render master: the image decoded once, upright, and scaled down to at most this
 * many pixels, from which every render that needs no more detail is cut (a 640 px render of a
 * 3840 px photo, or any render of an 800 px one). 2048 covers a 1024 px `<img>` at 2× density; a
 * render that needs more detail than its master has (a 2000 px picture of a 3840 px photo) decodes
 * the source as before. A master of that side in RGB is at most 12.6 MB (2048×2048×3), a typical
 * 800×600 photo 1.4 MB.
 */
export const MASTER_MAX_SIDE = 2048;

/** Decoded pixels of one image, upright, at `scale` of its displayed size. */
export interface RenderMaster {
  pixels: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  scale: number;
}

/** How much a master shrinks an image of this displayed size: 1 up to MASTER_MAX_SIDE. */
export function masterScale(source: Size): number {
  return Math.min(1, MASTER_MAX_SIDE / Math.max(source.width, source.height));
}

/**
 * Whether a render can be cut from the image's master without losing detail: always when the master
 * is the whole image, else when the crop in master pixels is at least the output. Depends only on
 * the request and the image's size, never on what is cached, so the same URL always gives the same
 * bytes (its ETag is strong).
 */
export function rendersFromMaster(crop: Box, size: Size, source: Size): boolean {
  const scale = masterScale(source);
  return scale === 1 || (crop.w * scale >= size.width && crop.h * scale >= size.height);
}

/** Decodes an image into its master: oriented as displayed, scaled to MASTER_MAX_SIDE (sharp's shrink-on-load applies). */
export async function decodeMaster(bytes: Buffer, source: Size, maxPixels: number): Promise<RenderMaster> {
  const scale = masterScale(source);
  let image = sharp(bytes, { autoOrient: true, limitInputPixels: maxPixels, pages: 1 });
  if (scale < 1) image = image.resize(Math.round(source.width * scale), Math.round(source.height * scale), { fit: 'fill' });
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { pixels: data, width: info.width, height: info.height, channels: info.channels, scale: info.width / source.width };
}

/** The crop's pixels in a master, held within it. */
export function cropInMaster(master: RenderMaster, crop: Box): { left: number; top: number; width: number; height: number } {
  const left = Math.min(Math.round(crop.x * master.scale), master.width - 1);
  const top = Math.min(Math.round(crop.y * master.scale), master.height - 1);
  return {
    left,
    top,
    width: Math.max(1, Math.min(Math.round(crop.w * master.scale), master.width - left)),
    height: Math.max(1, Math.min(Math.round(crop.h * master.scale), master.height - top)),
  };
}

/** A sharp pipeline on a master's pixels. */
export function masterImage(master: RenderMaster): Sharp {
  return sharp(master.pixels, { raw: { width: master.width, height: master.height, channels: master.channels } });
}
