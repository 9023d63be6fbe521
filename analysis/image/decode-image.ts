import { stat } from 'node:fs/promises';
import sharp, { type SharpOptions } from 'sharp';
import { ArtmetaError } from '../errors.ts';
import type { RgbImage } from './rgb-image.ts';

export interface DecodeOptions {
  /** Reject images with more pixels than this (decompression bombs). Default 100 megapixels. */
  maxPixels?: number;
  /** Reject inputs larger than this many bytes. Default 64 MiB. */
  maxInputBytes?: number;
  /** Long side of the working copy handed to analysis. Never enlarged. Default 1024. */
  workingSize?: number;
}

export const DEFAULT_DECODE_OPTIONS: Required<DecodeOptions> = {
  maxPixels: 100_000_000,
  maxInputBytes: 64 * 1024 * 1024,
  workingSize: 1024,
};

/** An image as displayed (EXIF orientation applied) and the working copy analysis runs on. */
export interface DecodedImage {
  /** Displayed width and height of the full image: the frame every reported coordinate uses. */
  width: number;
  height: number;
  format: string;
  /** Downscaled working copy. */
  pixels: RgbImage;
  /** Displayed pixels per working pixel (≥ 1). */
  scale: number;
}

const READABLE_FORMATS = new Set(['jpeg', 'png', 'webp', 'heif', 'tiff', 'gif']);
/** EXIF orientations 5-8 turn the image by 90°, so width and height swap on display. */
const TRANSPOSING_ORIENTATIONS = new Set([5, 6, 7, 8]);

/** Decodes a file path or bytes into its displayed size and an upright sRGB working copy. */
export async function decodeImage(input: string | Buffer, options: DecodeOptions = {}): Promise<DecodedImage> {
  const opts = { ...DEFAULT_DECODE_OPTIONS, ...options };
  await checkInputSize(input, opts.maxInputBytes);
  const sharpOptions: SharpOptions = { limitInputPixels: opts.maxPixels, pages: 1, failOn: 'warning' };

  const meta = await sharp(input, sharpOptions).metadata().catch((e: unknown) => {
    throw classifySharpError(e);
  });
  if (!meta.format || !READABLE_FORMATS.has(meta.format)) {
    throw new ArtmetaError('UNSUPPORTED_FORMAT', `unsupported image format: ${meta.format ?? 'unknown'}`);
  }
  const storedWidth = meta.width ?? 0;
  const storedHeight = meta.pageHeight ?? meta.height ?? 0;
  if (storedWidth <= 0 || storedHeight <= 0) throw new ArtmetaError('CORRUPT_IMAGE', 'image has no pixels');
  if (storedWidth * storedHeight > opts.maxPixels) {
    throw new ArtmetaError(
      'PIXEL_LIMIT',
      `image is ${storedWidth}x${storedHeight} = ${storedWidth * storedHeight} pixels, over the limit of ${opts.maxPixels}`,
    );
  }
  const transposed = TRANSPOSING_ORIENTATIONS.has(meta.orientation ?? 1);
  const width = transposed ? storedHeight : storedWidth;
  const height = transposed ? storedWidth : storedHeight;

  const { data, info } = await sharp(input, sharpOptions)
    .autoOrient()
    .resize({ width: opts.workingSize, height: opts.workingSize, fit: 'inside', withoutEnlargement: true })
    // Transparent areas read as mid-grey: neither text-like white nor shadow-like black.
    .flatten({ background: '#808080' })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true })
    .catch((e: unknown) => {
      throw classifySharpError(e);
    });
  if (info.channels !== 3) throw new ArtmetaError('INTERNAL', `decoder gave ${info.channels} channels, expected 3`);

  return {
    width,
    height,
    format: meta.format,
    pixels: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 },
    scale: width / info.width,
  };
}

async function checkInputSize(input: string | Buffer, maxBytes: number): Promise<void> {
  let bytes: number;
  if (typeof input === 'string') {
    try {
      const info = await stat(input);
      if (!info.isFile()) throw new ArtmetaError('NOT_FOUND', `not a file: ${input}`);
      bytes = info.size;
    } catch (e) {
      if (e instanceof ArtmetaError) throw e;
      throw new ArtmetaError('NOT_FOUND', `cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  } else {
    bytes = input.length;
  }
  if (bytes === 0) throw new ArtmetaError('EMPTY_INPUT', 'input is empty (0 bytes)');
  if (bytes > maxBytes) throw new ArtmetaError('INPUT_TOO_LARGE', `input is ${bytes} bytes, over the limit of ${maxBytes}`);
}

/** sharp reports every failure as a plain Error; its message says which kind it is. */
function classifySharpError(e: unknown): ArtmetaError {
  const message = e instanceof Error ? e.message : String(e);
  if (/unsupported image format|Input file contains unsupported/i.test(message)) {
    return new ArtmetaError('UNSUPPORTED_FORMAT', 'not an image artmeta can read', { cause: e });
  }
  if (/pixel limit/i.test(message)) {
    return new ArtmetaError('PIXEL_LIMIT', message, { cause: e });
  }
  if (/Input file is missing/i.test(message)) {
    return new ArtmetaError('NOT_FOUND', message, { cause: e });
  }
  return new ArtmetaError('CORRUPT_IMAGE', `image data is damaged: ${message}`, { cause: e });
}
