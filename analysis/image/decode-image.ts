import { open, stat } from 'node:fs/promises';
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

/**
 * HEIF holds AV1 (AVIF) or HEVC (HEIC, phones' photos). sharp's libheif decodes AV1 only (HEVC
 * decoding is left out of its prebuilt libvips for patent reasons), so an HEIC's header reads but its
 * pixels do not: that is a format artmeta does not read, not damaged data.
 */
const HEVC_REFUSAL = 'HEIC (HEIF coded with HEVC) is not a format artmeta reads: convert it to AVIF or JPEG';

/** EXIF orientations 5-8 turn the image by 90°, so width and height swap on display. */
const TRANSPOSING_ORIENTATIONS = new Set([5, 6, 7, 8]);

/** Decodes a file path or bytes into its displayed size and an upright sRGB working copy. */
export async function decodeImage(input: string | Buffer, options: DecodeOptions = {}): Promise<DecodedImage> {
  const opts = { ...DEFAULT_DECODE_OPTIONS, ...options };
  await checkInputSize(input, opts.maxInputBytes);
  const head = await headOf(input);
  const format = sniffFormat(head);
  if (!format) throw new ArtmetaError('UNSUPPORTED_FORMAT', 'not an image artmeta reads (JPEG, PNG, WebP, AVIF, TIFF, GIF)');
  const sharpOptions: SharpOptions = { limitInputPixels: opts.maxPixels, pages: 1, failOn: 'warning' };
  const classify = (e: unknown) => classifySharpError(e, format, head, opts.maxPixels);

  // The header is read without sharp's pixel limit, whose refusal names no size (JPEG's did): the
  // limit is checked on the header's size just below, and the decode keeps sharp's limit too.
  const meta = await sharp(input, { ...sharpOptions, limitInputPixels: false }).metadata().catch((e: unknown) => {
    throw classify(e);
  });
  if (meta.format !== format) throw new ArtmetaError('CORRUPT_IMAGE', `image data is damaged: a ${format} header, read as ${meta.format ?? 'nothing'}`);
  if (meta.compression === 'hevc') throw new ArtmetaError('UNSUPPORTED_FORMAT', HEVC_REFUSAL);
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
      throw classify(e);
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

/** Bytes enough to tell every readable format by its signature. */
const HEAD_BYTES = 32;

async function headOf(input: string | Buffer): Promise<Buffer> {
  if (typeof input !== 'string') return input.subarray(0, HEAD_BYTES);
  // A file can be listed and stat'ed but not opened (no read permission): that is the file's fault, not artmeta's (INTERNAL).
  const file = await open(input, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new ArtmetaError('NOT_FOUND', `cannot read ${input}: ${e.code ?? e.message}`);
  });
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(HEAD_BYTES), 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** ISO-BMFF brands of AVIF and HEIF images. */
const HEIF_BRANDS = new Set(['avif', 'avis', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

/**
 * The format of an input by its first bytes, as sharp names it, for the raster formats artmeta
 * reads; undefined for anything else. Only these reach a decoder: SVG, PDF and the other formats
 * libvips can load are refused unread, so untrusted input never reaches librsvg or poppler
 * (artwork is raster, and those parsers are a large attack surface for no use here).
 */
export function sniffFormat(head: Buffer): string | undefined {
  const ascii = (from: number, to: number) => head.subarray(from, to).toString('latin1');
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  if (ascii(4, 8) === 'ftyp' && HEIF_BRANDS.has(ascii(8, 12))) return 'heif';
  return undefined;
}

/**
 * sharp reports every failure as a plain Error. The format is known by then (its signature
 * matched), so a failure is damaged data, unless it is a HEIF libvips does not load or the image is
 * over the pixel limit: libspng
 * refuses some huge PNG headers outright, so a PNG's size is read from its IHDR to say so.
 */
function classifySharpError(e: unknown, format: string, head: Buffer, maxPixels: number): ArtmetaError {
  const message = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(message)) return new ArtmetaError('PIXEL_LIMIT', message, { cause: e });
  if (/Input file is missing/i.test(message)) return new ArtmetaError('NOT_FOUND', message, { cause: e });
  // The HEIF brands sniffed include image sequences (animated AVIF, `avis`), which libvips does not
  // load: no loader claims them, whereas a damaged HEIF is claimed and fails in it. (A truncated TIFF
  // is not claimed either, so this holds for HEIF only.)
  if (format === 'heif' && /contains unsupported image format/i.test(message)) {
    return new ArtmetaError('UNSUPPORTED_FORMAT', `a HEIF artmeta does not read (an animated AVIF, say): convert it to a still AVIF or JPEG (${message})`, { cause: e });
  }
  const size = format === 'png' && head.length >= 24 ? { width: head.readUInt32BE(16), height: head.readUInt32BE(20) } : undefined;
  if (size && size.width * size.height > maxPixels) {
    return new ArtmetaError('PIXEL_LIMIT', `image is ${size.width}x${size.height} = ${size.width * size.height} pixels, over the limit of ${maxPixels}`, { cause: e });
  }
  return new ArtmetaError('CORRUPT_IMAGE', `image data is damaged: ${message}`, { cause: e });
}
