import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { Box, Size } from '../../analysis/geometry/box.ts';
import { sniffFormat } from '../../analysis/image/decode-image.ts';

/**
 * How many times larger than its output a render's crop must be, in a reduced master's pixels, for
 * the render to be cut from that master rather than decoded from the source. Two resamplings (the
 * master's, then the render's) then lose nothing visible: the master keeps every frequency the
 * output can show, and some above. Measured (bench:render-options, the 40 bench photos with masters
 * at 0.53 of their size, as 2048 px is of a 3840 px photo; luma PSNR / SSIM against extracting from
 * the full-resolution decode, min / median): 31.0 / 43.8 dB and 0.978 / 0.996 for crops 2-2.5× the
 * output, less than moving the crop one source pixel aside changes the full-resolution render (28.6
 * / 36.4 dB, 0.953 / 0.983); 29.6 / 44.7 and 0.978 / 0.996 at 1.5-2× (the margin), but 25.6 / 40.9
 * and 0.932 / 0.992 at 1-1.25×, where the master has barely more pixels than the output. With
 * masters at ½ (libjpeg's decode, as a 3840 px photo's at the 1920 px bound), 2-2.5×: 29.0 / 52.1
 * dB and 0.959 / 0.997, about the one-pixel move's (29.2 / 36.8, 0.957 / 0.985): the minimum is the
 * exactly-2× case, the same with a resampled master of that size (27.4 against 27.6 dB at 2×).
 */
export const MASTER_MIN_OVERSAMPLING = 2;

/** Decoded pixels of one image, upright, at its displayed size or scaled down to its master size. */
export interface RenderMaster {
  pixels: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/**
 * The scales at which libjpeg decodes a JPEG in the DCT domain (½, ¼, ⅛), largest first. Decoding at
 * 1/d skips most of the inverse DCT, colour conversion (an embedded ICC profile's too) and
 * upsampling of the rows, and leaves a smaller image to resample: on 5 Debian wallpapers
 * (3640-3840×2400) a master costs 30-134 ms of CPU (mean 71) against 62-247 (mean 125) for a full
 * decode resampled to 2048 px (one process, interleaved, load ~10; the entropy decoding of every
 * coefficient remains, hence a progressive 8.9 MB JPEG's 134).
 */
const JPEG_DCT_SCALES = [8, 4, 2] as const;

/**
 * How far below the bound a master may be when libjpeg's ½, ¼ or ⅛ decode gives it directly (see
 * JPEG_DCT_SCALES): at least this fraction of the bound on its long side. Such a master costs half
 * as much to make or less, nothing being decoded at full size or resampled (a 3640×2400 wallpaper at
 * ½, 1820 px: 30 ms of CPU against 62 for a full decode resampled to 2048 px, 89 against 247 when an
 * ICC profile must be converted; one process, interleaved, load ~10), and serves whole-width renders
 * up to 910 px instead of 960. 3640 px sources, a common wallpaper width, are within it by 5% (1820 = 0.95 ×
 * 1920). Much lower, more renders would go to the source (50-60 ms each) than the saving pays for.
 */
const DCT_MASTER_MIN_FILL = 0.9;

/**
 * The size of an image's master: the image itself up to `maxSide` a side (its pixels exactly); a
 * larger image at ½, ¼ or ⅛ of its size (rounded down, as libvips decodes a JPEG at that scale) when
 * that fits the bound and fills at least DCT_MASTER_MIN_FILL of it; else scaled to `maxSide` on its long side
 * (ARTMETA_RENDER_MASTER_MAX_SIDE). The size, not the format, decides: every image of a size gets
 * the same master size, so a plan never depends on the bytes.
 */
export function masterSize(source: Size, maxSide: number): Size {
  const long = Math.max(source.width, source.height);
  if (long <= maxSide) return source;
  const scale = [...JPEG_DCT_SCALES].reverse().find((d) => Math.floor(long / d) <= maxSide);
  if (scale !== undefined && Math.floor(long / scale) >= DCT_MASTER_MIN_FILL * maxSide) {
    const [width, height] = scaledDecode(source, scale);
    if (width >= 1 && height >= 1) return { width, height };
  }
  const factor = maxSide / long;
  return { width: Math.max(1, Math.round(source.width * factor)), height: Math.max(1, Math.round(source.height * factor)) };
}

/**
 * Whether a master cache of this many bytes takes reduced masters: it must hold one of the largest
 * (maxSide² RGBA), else every render would make one to throw it away, at twice the CPU of rendering
 * from the source (a 3840 px JPEG: a full decode against one at ¼). Without, a larger image's
 * renders decode the source.
 */
export function keepsReducedMasters(cacheBytes: number, maxSide: number): boolean {
  return cacheBytes >= maxSide * maxSide * 4;
}

export function isReduced(master: Size, source: Size): boolean {
  return master.width !== source.width || master.height !== source.height;
}

/** A crop of the source (displayed pixels) in a master's pixels: its edges scaled and rounded, within the master. */
export function cropInMaster(crop: Box, source: Size, master: Size): Box {
  if (!isReduced(master, source)) return crop;
  const [sx, sy] = [master.width / source.width, master.height / source.height];
  const x = Math.min(master.width - 1, Math.round(crop.x * sx));
  const y = Math.min(master.height - 1, Math.round(crop.y * sy));
  const right = Math.min(master.width, Math.round((crop.x + crop.w) * sx));
  const bottom = Math.min(master.height, Math.round((crop.y + crop.h) * sy));
  return { x, y, w: Math.max(1, right - x), h: Math.max(1, bottom - y) };
}

/**
 * Whether a master has the pixels a render needs: a full-size master always, a reduced one when the
 * crop in its pixels is at least MASTER_MIN_OVERSAMPLING times the output (else the source is decoded).
 */
export function masterServes(cropOfMaster: Box, size: Size, reduced: boolean): boolean {
  return !reduced || Math.min(cropOfMaster.w / size.width, cropOfMaster.h / size.height) >= MASTER_MIN_OVERSAMPLING;
}

/**
 * The largest DCT scale 1/d at which a JPEG still has at least the master's pixels on both axes
 * (libvips rounds a scaled side down: it drops libjpeg's partial last block), so that the master
 * loses nothing to it; 1 when none does, or when what is left to resample would make sharp shrink on
 * load again (3× or more: only past ⅛).
 */
export function jpegDecodeScale(source: Size, master: Size): number {
  for (const d of JPEG_DCT_SCALES) {
    const [w, h] = scaledDecode(source, d);
    if (w >= master.width && h >= master.height) return w < 3 * master.width && h < 3 * master.height ? d : 1;
  }
  return 1;
}

function scaledDecode(source: Size, scale: number): [number, number] {
  return [Math.floor(source.width / scale), Math.floor(source.height / scale)];
}

/**
 * Decodes an image into its master, oriented as displayed: as decoded, or scaled down to `master`
 * (lanczos3). A JPEG at least twice the master's size is decoded at ½, ¼ or ⅛ by libjpeg first
 * (jpegDecodeScale). sharp takes no such option for bytes in memory and itself decodes at ½ only
 * from a 3× shrink on, so the bytes go through a private temporary file, which libvips opens with
 * the `shrink` load option: about 1 ms of CPU to write 2-9 MB, against 25-30 ms of decoding saved.
 */
export async function decodeMaster(bytes: Buffer, source: Size, master: Size, maxPixels: number): Promise<RenderMaster> {
  const options = { autoOrient: true, limitInputPixels: maxPixels, pages: 1 };
  const scale = isReduced(master, source) && sniffFormat(bytes) === 'jpeg' ? jpegDecodeScale(source, master) : 1;
  if (scale === 1) return toMaster(sharp(bytes, options), source, master);
  const dir = await mkdtemp(join(tmpdir(), 'artmeta-master-'));
  try {
    const file = join(dir, 'source.jpg');
    await writeFile(file, bytes, { mode: 0o600 });
    return await toMaster(sharp(`${file}[shrink=${scale}]`, options), source, master);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The decoded image as raw pixels of the master's size (sharp leaves an image of that size as it is). */
async function toMaster(image: Sharp, source: Size, master: Size): Promise<RenderMaster> {
  const pixels = isReduced(master, source) ? image.resize(master.width, master.height, { fit: 'fill' }) : image;
  const { data, info } = await pixels.raw().toBuffer({ resolveWithObject: true });
  return { pixels: data, width: info.width, height: info.height, channels: info.channels };
}

/** A sharp pipeline on a crop of a master (in the master's pixels). */
export function masterCrop(master: RenderMaster, crop: Box): Sharp {
  return sharp(master.pixels, { raw: { width: master.width, height: master.height, channels: master.channels } }).extract({
    left: crop.x,
    top: crop.y,
    width: crop.w,
    height: crop.h,
  });
}
