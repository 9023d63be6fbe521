import sharp from 'sharp';
import smartcrop from 'smartcrop-sharp';
import { largestOfAspect } from '../../analysis/crop/crop-hints.ts';
import type { Box, Size } from '../../analysis/geometry/box.ts';

/** The peers artmeta's crop hints are measured against; each returns the largest crop of `aspect`. */
export type CropPeer = (file: string, image: Size, aspect: number) => Promise<Box>;

export const centreCrop: CropPeer = async (_file, image, aspect) => {
  const size = largestOfAspect(image, aspect);
  return { x: Math.floor((image.width - size.width) / 2), y: Math.floor((image.height - size.height) / 2), w: size.width, h: size.height };
};

/** sharp's `attention` strategy; it reports where it cut when the output is not scaled. */
export const sharpAttentionCrop: CropPeer = async (file, image, aspect) => {
  const size = largestOfAspect(image, aspect);
  const { info } = await sharp(file)
    .resize(size.width, size.height, { fit: 'cover', position: sharp.strategy.attention })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const offsets = info as { cropOffsetLeft?: number; cropOffsetTop?: number };
  return { x: Math.abs(offsets.cropOffsetLeft ?? 0), y: Math.abs(offsets.cropOffsetTop ?? 0), w: size.width, h: size.height };
};

export const smartcropCrop: CropPeer = async (file, image, aspect) => {
  const size = largestOfAspect(image, aspect);
  const { topCrop } = await smartcrop.crop(file, { width: size.width, height: size.height });
  return { x: topCrop.x, y: topCrop.y, w: topCrop.width, h: topCrop.height };
};
