import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Box, iou } from '../../analysis/geometry/box.ts';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { liveScopedObjects } from '../../analysis/opencv/mat-scope.ts';
import { loadOpenCV, wasmHeapBytes } from '../../analysis/opencv/runtime.ts';
import { detectText, textDetectionFromLines } from '../../analysis/text/detect-text.ts';
import { rotatedBox } from '../../analysis/geometry/rotated-box.ts';
import { fixture } from '../support/fixtures.ts';

/** Real images (downscaled dev-set images) with their line boxes: see text-fixtures.json. */
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/text-fixtures.json', import.meta.url), 'utf8')) as Record<
  string,
  { lines: (Box & { text: string })[] }
>;

function bestIou(regions: Box[], truth: Box): number {
  return Math.max(0, ...regions.map((r) => iou(r, truth)));
}

describe('detectText on real images', () => {
  beforeAll(() => loadOpenCV());

  it('finds a title and its subtitle as separate line boxes', async () => {
    const { pixels } = await decodeImage(fixture('text-title.jpg'));
    const found = detectText(pixels);
    expect(found.probability).toBeGreaterThan(0.9);
    for (const line of fixtures['text-title.jpg']!.lines) expect(bestIou(found.regions, line), line.text).toBeGreaterThanOrEqual(0.5);
    for (const r of found.regions) {
      expect(r.probability).toBeGreaterThanOrEqual(0.5);
      expect(r.x + r.w).toBeLessThanOrEqual(pixels.width);
      expect(r.y + r.h).toBeLessThanOrEqual(pixels.height);
    }
  });

  it('reports no likely text on a textured photo without any', async () => {
    const { pixels } = await decodeImage(fixture('text-none.jpg'));
    const found = detectText(pixels);
    expect(found.regions.filter((r) => r.probability >= 0.5)).toEqual([]);
    expect(found.probability).toBeLessThan(0.5);
  });

  it('finds a low-contrast title', async () => {
    const { pixels } = await decodeImage(fixture('text-low-contrast.jpg'));
    const found = detectText(pixels);
    const [title] = fixtures['text-low-contrast.jpg']!.lines;
    expect(bestIou(found.regions, title!)).toBeGreaterThanOrEqual(0.5);
  });

  it('finds a title rotated by 5 degrees', async () => {
    const { width, height } = await sharp(fixture('text-title.jpg')).metadata();
    const rotated = await sharp(fixture('text-title.jpg')).rotate(5, { background: '#000' }).jpeg({ quality: 90 }).toBuffer();
    const { pixels } = await decodeImage(rotated);
    const title = rotatedBox(fixtures['text-title.jpg']!.lines[0]!, 5, { width: width!, height: height! }, pixels);
    const found = detectText(pixels);
    expect(bestIou(found.regions, title)).toBeGreaterThanOrEqual(0.5);
  });

  it('reports boxes in the pixels of the image it is given, whatever its working size', async () => {
    const { pixels } = await decodeImage(fixture('text-title.jpg'));
    const small = await decodeImage(fixture('text-title.jpg'), { workingSize: 320 });
    const subtitle = fixtures['text-title.jpg']!.lines[1]!;
    const k = small.pixels.width / pixels.width;
    expect(bestIou(detectText(pixels, { workingSize: 400 }).regions, subtitle)).toBeGreaterThanOrEqual(0.7);
    expect(bestIou(detectText(small.pixels).regions, scale(subtitle, k))).toBeGreaterThanOrEqual(0.7);
  });

  it.each([
    [8, 6],
    [1600, 40],
    [300, 300],
  ])('copes with a flat %ix%i image', async (width, height) => {
    const flat = await sharp({ create: { width, height, channels: 3, background: '#6a6a6a' } }).png().toBuffer();
    const { pixels } = await decodeImage(flat);
    expect(detectText(pixels)).toEqual({ probability: 0, regions: [] });
  });

  it('rejects an operating threshold outside (0, 1)', async () => {
    const { pixels } = await decodeImage(fixture('text-none.jpg'));
    expect(() => detectText(pixels, { threshold: 1 })).toThrow(/threshold must be in/);
  });

  it('rejects an image threshold above the line threshold: an image with a line always holds text', async () => {
    const { pixels } = await decodeImage(fixture('text-none.jpg'));
    expect(() => detectText(pixels, { threshold: 0.6, imageThreshold: 0.7 })).toThrow(/image threshold must be in/);
  });

  it('reads the image as holding text from the image threshold, lines from the line threshold', () => {
    const line = { x: 10, y: 10, w: 80, h: 20, probability: 0.75 };
    const found = textDetectionFromLines([line], 0.75, { width: 100, height: 100 }, 0.8, 0.7);
    expect(found.regions).toEqual([]);
    expect(found.probability).toBeGreaterThan(0.5);
    expect(textDetectionFromLines([line], 0.7, { width: 100, height: 100 }, 0.8, 0.7).probability).toBe(0.5);
  });

  it('frees every OpenCV object and does not grow the WASM heap over repeated runs', async () => {
    const { pixels } = await decodeImage(fixture('text-title.jpg'));
    for (let i = 0; i < 3; i++) detectText(pixels);
    const heap = wasmHeapBytes();
    for (let i = 0; i < 15; i++) detectText(pixels);
    expect(liveScopedObjects()).toBe(0);
    expect(wasmHeapBytes()).toBe(heap);
  });
});

function scale(b: Box, k: number): Box {
  return { x: b.x * k, y: b.y * k, w: b.w * k, h: b.h * k };
}

