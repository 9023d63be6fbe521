import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import sharp, { type Sharp, type SharpOptions } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { ArtmetaError, type ErrorCode } from '../../analysis/errors.ts';
import { fixture } from '../support/fixtures.ts';


async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ArtmetaError);
  expect((error as ArtmetaError).code).toBe(code);
}

describe('decodeImage', () => {
  let jpeg: Buffer;
  beforeAll(async () => {
    jpeg = await readFile(fixture('astronaut-upright.jpg'));
  });

  it('reports displayed size and an upright working copy for EXIF-rotated input', async () => {
    const upright = await decodeImage(fixture('astronaut-upright.jpg'));
    const rotated = await decodeImage(fixture('astronaut-exif6.jpg'));
    expect([rotated.width, rotated.height]).toEqual([320, 240]);
    expect([rotated.pixels.width, rotated.pixels.height]).toEqual([320, 240]);
    // Same picture: the mean absolute pixel difference is JPEG noise, not a turned image.
    let diff = 0;
    for (let i = 0; i < upright.pixels.data.length; i++) diff += Math.abs(upright.pixels.data[i]! - rotated.pixels.data[i]!);
    expect(diff / upright.pixels.data.length).toBeLessThan(6);
  });

  it.each([
    [2, (image: Sharp) => image.flop()],
    [3, (image: Sharp) => image.rotate(180)],
    [4, (image: Sharp) => image.flip()],
    [5, (image: Sharp) => image.rotate(270).flop()],
    [7, (image: Sharp) => image.rotate(90).flop()],
    [8, (image: Sharp) => image.rotate(90)],
  ])('decodes EXIF orientation %i upright too (every coordinate artmeta reports is in that frame)', async (orientation, store) => {
    const upright = await decodeImage(jpeg);
    const decoded = await decodeImage(await store(sharp(jpeg)).withMetadata({ orientation }).jpeg({ quality: 95 }).toBuffer());
    expect([decoded.width, decoded.height, decoded.pixels.width, decoded.pixels.height]).toEqual([320, 240, 320, 240]);
    let diff = 0;
    for (let i = 0; i < upright.pixels.data.length; i++) diff += Math.abs(upright.pixels.data[i]! - decoded.pixels.data[i]!);
    expect(diff / upright.pixels.data.length).toBeLessThan(3);
  });

  it('shrinks to the working size and says by how much', async () => {
    const decoded = await decodeImage(fixture('group-of-three.jpg'), { workingSize: 160 });
    expect(decoded.width).toBe(640);
    expect(decoded.pixels.width).toBe(160);
    expect(decoded.scale).toBe(4);
    expect(decoded.pixels.data.length).toBe(decoded.pixels.width * decoded.pixels.height * 3);
  });

  it.each([
    ['PNG with alpha', () => sharp(jpeg).ensureAlpha(0.5).png().toBuffer()],
    ['16-bit PNG', () => sharp(jpeg).toColourspace('rgb16').png().toBuffer()],
    ['CMYK JPEG', () => sharp(jpeg).toColourspace('cmyk').jpeg().toBuffer()],
    ['grayscale', () => sharp(jpeg).grayscale().jpeg().toBuffer()],
    ['WebP', () => sharp(jpeg).webp().toBuffer()],
    ['AVIF', () => sharp(jpeg).avif({ effort: 0 }).toBuffer()],
    ['TIFF', () => sharp(jpeg).tiff().toBuffer()],
    ['GIF', () => sharp(jpeg).gif().toBuffer()],
  ])('reads %s as 8-bit RGB', async (_name, make) => {
    const decoded = await decodeImage(await make());
    expect([decoded.width, decoded.height]).toEqual([320, 240]);
    expect(decoded.pixels.channels).toBe(3);
    expect(decoded.pixels.data.length).toBe(320 * 240 * 3);
  });

  it('takes the first frame of an animated GIF', async () => {
    const frame = await sharp(jpeg).resize(64, 48).raw().toBuffer();
    const frames = Buffer.concat([frame, Buffer.alloc(frame.length, 255)]);
    const gif = await sharp(frames, { raw: { width: 64, height: 96, channels: 3, pageHeight: 48 } } as SharpOptions)
      .gif({ loop: 0, delay: [100, 100] })
      .toBuffer();
    const decoded = await decodeImage(gif);
    expect([decoded.width, decoded.height]).toEqual([64, 48]);
    const mean = decoded.pixels.data.reduce((s, v) => s + v, 0) / decoded.pixels.data.length;
    expect(mean).toBeLessThan(220); // the photo frame, not the white one
  });

  it('takes the first page of a multi-page TIFF', async () => {
    const page = await sharp(jpeg).resize(64, 48).raw().toBuffer();
    const tiff = await sharp(Buffer.concat([page, Buffer.alloc(page.length, 255)]), { raw: { width: 64, height: 96, channels: 3, pageHeight: 48 } } as SharpOptions)
      .tiff()
      .toBuffer();
    expect((await sharp(tiff).metadata()).pages).toBe(2);
    const decoded = await decodeImage(tiff);
    expect([decoded.width, decoded.height]).toEqual([64, 48]);
    const mean = decoded.pixels.data.reduce((s, v) => s + v, 0) / decoded.pixels.data.length;
    expect(mean).toBeLessThan(220); // the photo page, not the white one
  });

  it('refuses bad input with a stable code', async () => {
    await expectCode(decodeImage(Buffer.alloc(0)), 'EMPTY_INPUT');
    await expectCode(decodeImage(Buffer.from('this is not an image, just some text\n')), 'UNSUPPORTED_FORMAT');
    await expectCode(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2))), 'CORRUPT_IMAGE');
    await expectCode(decodeImage(fixture('does-not-exist.jpg')), 'NOT_FOUND');
    await expectCode(decodeImage(jpeg, { maxPixels: 10_000 }), 'PIXEL_LIMIT');
    await expectCode(decodeImage(jpeg, { maxInputBytes: 100 }), 'INPUT_TOO_LARGE');
  });

  it('refuses a decompression bomb from its header, without decoding it', async () => {
    const bomb = await pngClaiming(100_000, 100_000);
    expect(bomb.length).toBeLessThan(1000);
    await expectCode(decodeImage(bomb), 'PIXEL_LIMIT');
  });

  it('says PIXEL_LIMIT with the dimensions for a 1×200,000,000 PNG (libspng refuses its header)', async () => {
    const error = await decodeImage(await pngClaiming(1, 200_000_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtmetaError);
    expect((error as ArtmetaError).code).toBe('PIXEL_LIMIT');
    expect((error as ArtmetaError).message).toContain('1x200000000');
  });

  it('says PIXEL_LIMIT with the dimensions from the header in every format, as documented (JPEG said only sharp\'s "exceeds pixel limit")', async () => {
    const image = sharp({ create: { width: 300, height: 200, channels: 3, background: '#a50' } });
    for (const format of ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const) {
      const bytes = await image.clone().toFormat(format).toBuffer();
      const error = await decodeImage(bytes, { maxPixels: 10_000 }).catch((e: unknown) => e);
      expect(error, format).toBeInstanceOf(ArtmetaError);
      expect((error as ArtmetaError).code, format).toBe('PIXEL_LIMIT');
      expect((error as ArtmetaError).message, format).toBe('image is 300x200 = 60000 pixels, over the limit of 10000');
    }
  });

  it('says CORRUPT_IMAGE for a truncated TIFF: the format is known, its data is cut', async () => {
    const tiff = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#0a0' } }).tiff().toBuffer();
    await expectCode(decodeImage(tiff.subarray(0, tiff.length / 2)), 'CORRUPT_IMAGE');
  });

  it('refuses HEIC (HEIF coded with HEVC) as UNSUPPORTED_FORMAT, not CORRUPT_IMAGE: sharp\'s libheif decodes AV1 only', async () => {
    const error = await decodeImage(fixture('astronaut-hevc.heic')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtmetaError);
    expect((error as ArtmetaError).code).toBe('UNSUPPORTED_FORMAT');
    expect((error as ArtmetaError).message).toMatch(/HEIC/);
  });

  it('refuses an animated AVIF (an AV1 image sequence, brand avis) as UNSUPPORTED_FORMAT: libvips does not load it, the data is not damaged (it said CORRUPT_IMAGE)', async () => {
    for (const input of [fixture('astronaut-animated.avif'), await readFile(fixture('astronaut-animated.avif'))]) {
      const error = await decodeImage(input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArtmetaError);
      expect((error as ArtmetaError).code).toBe('UNSUPPORTED_FORMAT');
    }
  });

  it('refuses SVG (and anything but JPEG, PNG, WebP, AVIF, TIFF, GIF) before any decoder sees it', async () => {
    const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><rect width="300" height="200" fill="red"/></svg>');
    await expectCode(decodeImage(svg), 'UNSUPPORTED_FORMAT');
    await expectCode(decodeImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="30" height="20"/>')), 'UNSUPPORTED_FORMAT');
  });
});

/** A tiny valid PNG whose header claims `width`×`height` pixels, as a decompression bomb does. */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).png().toBuffer();
  // IHDR starts at byte 8: length (4), "IHDR" (4), width (4), height (4), 5 more bytes, CRC (4).
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}
