import sharp, { type Sharp } from 'sharp';
import type { Box } from '../../analysis/geometry/box.ts';
import type { Size } from './crop-render.ts';

/**
 * Longest side of an image that gets a render master: its decode, upright, kept so that the next
 * size, format or canvas of the same image is cut from the pixels without decoding again (on the 800
 * px bench photos a decode is 4.5 of the 15.6 ms of a 640 px WebP render). 2048 px holds a 1024 px
 * `<img>` at 2× density and bounds a master at 12.6 MB (2048×2048×3); an 800×600 photo's is 1.4 MB.
 * Larger images are decoded from their bytes for every render, where sharp's shrink-on-load makes a
 * 640 px render of a 3840 px photo cost 53 ms of CPU: a master of it, scaled to 2048 px, costs 103 ms
 * to make (77 for the decode alone) and 8.4 MB to keep (bench:render-options, large sources).
 */
export const MASTER_MAX_SIDE = 2048;

/** Decoded pixels of one image, upright, at its displayed size. */
export interface RenderMaster {
  pixels: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** Whether renders of an image of this displayed size are cut from its master (see MASTER_MAX_SIDE). */
export function hasMaster(source: Size): boolean {
  return Math.max(source.width, source.height) <= MASTER_MAX_SIDE;
}

/** Decodes an image into its master, oriented as displayed. */
export async function decodeMaster(bytes: Buffer, maxPixels: number): Promise<RenderMaster> {
  const { data, info } = await sharp(bytes, { autoOrient: true, limitInputPixels: maxPixels, pages: 1 }).raw().toBuffer({ resolveWithObject: true });
  return { pixels: data, width: info.width, height: info.height, channels: info.channels };
}

/** A sharp pipeline on the crop of a master. */
export function masterCrop(master: RenderMaster, crop: Box): Sharp {
  return sharp(master.pixels, { raw: { width: master.width, height: master.height, channels: master.channels } }).extract({
    left: crop.x,
    top: crop.y,
    width: crop.w,
    height: crop.h,
  });
}
