import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Box, iou } from '../../analysis/geometry/box.ts';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { detectText, textDetectionFromLines } from '../../analysis/text/detect-text.ts';
import { PLACEMENT_EVIDENCE_MAX } from '../../analysis/text/placement.ts';
import { rotatedBox } from '../support/rotated-box.ts';
import { fixture } from '../support/fixtures.ts';

/** Real images with their line boxes and origins: see text-fixtures.json and test/fixtures/README.md. */
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
    const found = await detectText(pixels);
    expect(found.probability).toBeGreaterThan(0.5);
    for (const line of fixtures['text-title.jpg']!.lines) expect(bestIou(found.regions, line), line.text).toBeGreaterThanOrEqual(0.5);
    for (const r of found.regions) {
      expect(r.probability).toBeGreaterThanOrEqual(0.5);
      expect(r.x + r.w).toBeLessThanOrEqual(pixels.width);
      expect(r.y + r.h).toBeLessThanOrEqual(pixels.height);
    }
  });

  it.each(['text-cjk-title.jpg', 'text-arabic-title.jpg', 'text-big-title.jpg', 'text-banner-title.jpg', 'text-low-contrast.jpg'])('finds the title of %s as one line', async (file) => {
    const { pixels } = await decodeImage(fixture(file));
    const found = await detectText(pixels);
    const [title] = fixtures[file]!.lines;
    expect(bestIou(found.regions, title!)).toBeGreaterThanOrEqual(0.5);
    expect(found.probability).toBeGreaterThanOrEqual(0.5);
  });

  it('reports no likely text on a textured photo without any', async () => {
    const { pixels } = await decodeImage(fixture('text-none.jpg'));
    const found = await detectText(pixels);
    expect(found.regions).toEqual([]);
    expect(found.probability).toBeLessThan(0.5);
  });

  it('finds a title rotated by 5 degrees', async () => {
    const { width, height } = await sharp(fixture('text-title.jpg')).metadata();
    const rotated = await sharp(fixture('text-title.jpg')).rotate(5, { background: '#000' }).jpeg({ quality: 90 }).toBuffer();
    const { pixels } = await decodeImage(rotated);
    const title = rotatedBox(fixtures['text-title.jpg']!.lines[0]!, 5, { width: width!, height: height! }, pixels);
    expect(bestIou((await detectText(pixels)).regions, title)).toBeGreaterThanOrEqual(0.5);
  });

  it('reports boxes in the pixels of the image it is given, whatever its size', async () => {
    const small = await decodeImage(fixture('text-title.jpg'), { workingSize: 480 });
    const { pixels } = await decodeImage(fixture('text-title.jpg'));
    const title = fixtures['text-title.jpg']!.lines[0]!;
    const k = small.pixels.width / pixels.width;
    expect(bestIou((await detectText(small.pixels)).regions, { x: title.x * k, y: title.y * k, w: title.w * k, h: title.h * k })).toBeGreaterThanOrEqual(0.5);
  });

  it.each([
    ['text-title.jpg', 200],
    ['text-low-contrast.jpg', 256],
  ])('finds the subtitle of %s as a %i px thumbnail (a line 6-7 px high, enlarged for the network)', async (file, side) => {
    const { pixels } = await decodeImage(fixture(file), { workingSize: side });
    const k = pixels.width / 640;
    const subtitle = fixtures[file]!.lines[1]!;
    const found = await detectText(pixels);
    expect(bestIou(found.regions, { x: subtitle.x * k, y: subtitle.y * k, w: subtitle.w * k, h: subtitle.h * k })).toBeGreaterThanOrEqual(0.5);
  });

  it.each([
    [8, 6],
    [1600, 40],
    [300, 300],
  ])('copes with a flat %ix%i image', async (width, height) => {
    const flat = await sharp({ create: { width, height, channels: 3, background: '#6a6a6a' } }).png().toBuffer();
    const { pixels } = await decodeImage(flat);
    expect(await detectText(pixels)).toEqual({ probability: 0, regions: [], evidence: [] });
  });

  it('rejects an operating threshold outside (0, 1)', async () => {
    const { pixels } = await decodeImage(fixture('text-none.jpg'));
    await expect(detectText(pixels, { threshold: 1 })).rejects.toThrow(/threshold must be in/);
    await expect(detectText(pixels, { imageThreshold: 0 })).rejects.toThrow(/image threshold must be in/);
  });

  it('rescales probabilities so the thresholds read 0.5 and keeps only lines reaching the line threshold', () => {
    const lines = [
      { x: 10, y: 10, w: 80, h: 20, probability: 0.7 },
      { x: 10, y: 40, w: 80, h: 20, probability: 0.3 },
    ];
    // noisy-OR 1 - 0.3 × 0.7 = 0.79; image threshold 0.58 → 0.5 + 0.5 × 0.21 / 0.42 = 0.75
    const found = textDetectionFromLines(lines, { width: 100, height: 100 }, { threshold: 0.4, imageThreshold: 0.58 });
    expect(found.regions).toEqual([{ x: 10, y: 10, w: 80, h: 20, probability: 0.75 }]);
    expect(found.probability).toBe(0.75);
    // The line left out stays as placement evidence, on the same scale: 0.5 × 0.3 / 0.4.
    expect(found.evidence).toEqual([{ x: 10, y: 40, w: 80, h: 20, probability: 0.375 }]);
  });

  it('keeps the likeliest unreported lines as placement evidence, in whole pixels, at most PLACEMENT_EVIDENCE_MAX', () => {
    const faint = Array.from({ length: PLACEMENT_EVIDENCE_MAX + 4 }, (_, i) => ({ x: 2.6, y: 4 * i + 0.4, w: 50.2, h: 3, probability: 0.01 * (i + 1) }));
    const found = textDetectionFromLines(faint, { width: 100, height: 100 }, { threshold: 0.4, imageThreshold: 0.9 });
    expect(found.regions).toEqual([]);
    expect(found.evidence).toHaveLength(PLACEMENT_EVIDENCE_MAX);
    expect(found.evidence[0]).toEqual({ x: 2, y: 76, w: 51, h: 4, probability: 0.25 });
    expect(found.evidence.at(-1)!.probability).toBe(0.063);
  });

  it('reports no line when the image as a whole stays under its threshold, and does when several weak lines reach it', () => {
    const one = [{ x: 10, y: 10, w: 80, h: 20, probability: 0.45 }];
    const options = { threshold: 0.4, imageThreshold: 0.6 };
    // The image is not said to hold text: its line, though over the line threshold, is only evidence.
    expect(textDetectionFromLines(one, { width: 100, height: 100 }, options)).toEqual({ probability: 0.375, regions: [], evidence: [{ x: 10, y: 10, w: 80, h: 20, probability: 0.542 }] });
    const two = [...one, { x: 10, y: 40, w: 80, h: 20, probability: 0.45 }];
    const found = textDetectionFromLines(two, { width: 100, height: 100 }, options);
    expect(found.regions).toHaveLength(2);
    expect(found.probability).toBeGreaterThanOrEqual(0.5);
  });
});
