/** Decoded, upright, 8-bit sRGB pixels, row-major, `channels` bytes per pixel, no padding. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}
