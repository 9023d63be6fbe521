import { readFile } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Box } from '../../analysis/geometry/box.ts';
import { renderCrop, renderEtag, renderFromMaster, renderPlan, resizesFirst, type Size } from '../../api/render/crop-render.ts';
import { MASTER_MIN_OVERSAMPLING, cropInMaster, decodeMaster, keepsReducedMasters, masterSize } from '../../api/render/render-master.ts';
import { DEFAULT_RENDER_MASTER_MAX_SIDE } from '../../service/config.ts';
import { fixture } from '../support/fixtures.ts';

const MAX_PIXELS = 100_000_000;

/**
 * A picture at a quarter of its size, raw: the two orders place the crop within half an output
 * pixel of each other and filter differently, which on detailed content moves single pixels by
 * 5-7/255 on average; at a quarter of the size that is gone and a misplaced crop is not.
 */
async function quarter(picture: Buffer | Sharp, size: Size): Promise<Buffer> {
  const raw = Buffer.isBuffer(picture) ? await sharp(picture).removeAlpha().png().toBuffer() : await picture.png().toBuffer();
  return sharp(raw).resize(Math.round(size.width / 4), Math.round(size.height / 4), { fit: 'fill' }).raw().toBuffer();
}

/** The crop as the plain order gives it (extract, then resize), at a quarter of its size. */
async function extractedThenResized(bytes: Buffer, crop: Box, size: Size): Promise<Buffer> {
  const picture = sharp(bytes, { autoOrient: true })
    .extract({ left: crop.x, top: crop.y, width: crop.w, height: crop.h })
    .resize(size.width, size.height, { fit: 'fill' });
  return quarter(picture, size);
}

function meanAbsoluteDifference(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe('renderCrop: a crop much larger than its output is resized whole first (JPEG shrink-on-load)', () => {
  // Displayed sizes: service-6 480×350, people-group 720×577, astronaut-exif6 stored 240×320 with Exif orientation 6, displayed 320×240.
  // `misplaced`: the same crop 10% of the image away, for the comparison to tell apart.
  const cases: { name: string; source: Size; crop: Box; size: Size; misplaced: Box }[] = [
    { name: 'service-6.jpg', source: { width: 480, height: 350 }, crop: { x: 40, y: 60, w: 400, h: 225 }, size: { width: 100, height: 56 }, misplaced: { x: 0, y: 90, w: 400, h: 225 } },
    // At the bottom-right corner: the crop's place in the resized image is held within it.
    { name: 'people-group.jpg', source: { width: 720, height: 577 }, crop: { x: 320, y: 352, w: 400, h: 225 }, size: { width: 128, height: 72 }, misplaced: { x: 250, y: 300, w: 400, h: 225 } },
    { name: 'astronaut-exif6.jpg', source: { width: 320, height: 240 }, crop: { x: 0, y: 30, w: 320, h: 180 }, size: { width: 96, height: 54 }, misplaced: { x: 0, y: 6, w: 320, h: 180 } },
  ];

  for (const { name, source, crop, size, misplaced } of cases) {
    it(`${name}: the output size asked, the same pixels as extracting first (within rounding)`, async () => {
      expect(resizesFirst(crop, size)).toBe(true);
      const bytes = await readFile(fixture(name));
      const rendered = await renderCrop(bytes, crop, size, source, { format: 'png' }, MAX_PIXELS);
      const { width, height } = await sharp(rendered).metadata();
      expect({ width, height }).toEqual(size);
      const small = await quarter(rendered, size);
      const [same, other] = [meanAbsoluteDifference(small, await extractedThenResized(bytes, crop, size)), meanAbsoluteDifference(small, await extractedThenResized(bytes, misplaced, size))];
      // Measured: 1.0, 1.8 and 0.0 for the crop, 41-52 for the misplaced one.
      expect(same).toBeLessThan(4);
      expect(other).toBeGreaterThan(10);
    });
  }
});

const MASTERS = { maxSide: DEFAULT_RENDER_MASTER_MAX_SIDE, reduced: true };

describe('render masters: one decode, upright, serves every render of an image up to the master size', () => {
  it('renders from a master the very pixels of extracting from the source', async () => {
    const bytes = await readFile(fixture('astronaut-exif6.jpg'));
    const source = { width: 320, height: 240 };
    const crop = { x: 10, y: 30, w: 300, h: 180 };
    const size = { width: 200, height: 120 };
    const plan = renderPlan(crop, size, source, MASTERS);
    expect(plan).toEqual({ from: 'master', master: source, crop, reduced: false });
    const master = await decodeMaster(bytes, source, masterSize(source, MASTERS.maxSide), MAX_PIXELS);
    expect(master).toMatchObject({ width: 320, height: 240 });
    const fromMaster = await sharp(await renderFromMaster(master, crop, size, { format: 'png' })).raw().toBuffer();
    const direct = await sharp(await renderCrop(bytes, crop, size, source, { format: 'png' }, MAX_PIXELS)).raw().toBuffer();
    expect(fromMaster.equals(direct)).toBe(true);
  });

  it('a larger image gets a master scaled to the master size, which serves the renders it has twice the pixels for', () => {
    const wallpaper = { width: 3840, height: 2400 };
    expect(masterSize(wallpaper, MASTERS.maxSide)).toEqual({ width: 2048, height: 1280 });
    const crop = { x: 0, y: 120, w: 3840, h: 2160 };
    // 640×360 from 2048×1152 of the master: 3.2×.
    expect(renderPlan(crop, { width: 640, height: 360 }, wallpaper, MASTERS)).toEqual({
      from: 'master',
      master: { width: 2048, height: 1280 },
      crop: { x: 0, y: 64, w: 2048, h: 1152 },
      reduced: true,
    });
    expect(renderPlan(crop, { width: 1024, height: 576 }, wallpaper, MASTERS)).toMatchObject({ from: 'master' });
    // Past half the master's pixels across the crop, the source is decoded: 1025 px needs 2050 of the master's 2048.
    expect(renderPlan(crop, { width: 1025, height: 577 }, wallpaper, MASTERS)).toEqual({ from: 'source', order: 'shrink-first' });
    // A tight crop: 853×480 of the master for a 500 px render is 1.7×; from the source it is 3.2× (shrink-on-load), for 640 px 2.5×.
    const tight = { x: 0, y: 0, w: 1600, h: 900 };
    expect(renderPlan(tight, { width: 500, height: 281 }, wallpaper, MASTERS)).toEqual({ from: 'source', order: 'shrink-first' });
    expect(renderPlan(tight, { width: 640, height: 360 }, wallpaper, MASTERS)).toEqual({ from: 'source', order: 'extract-first' });
    expect(renderPlan(tight, { width: 400, height: 225 }, wallpaper, MASTERS)).toMatchObject({ from: 'master' });
    // A smaller bound, a smaller master: a render the default master serves goes to the source.
    expect(renderPlan(crop, { width: 640, height: 360 }, wallpaper, { maxSide: 1024, reduced: true })).toEqual({ from: 'source', order: 'shrink-first' });
    // No reduced masters where the master cache cannot keep one: the source, as before; an image within the bound keeps its master.
    expect(keepsReducedMasters(0, 2048)).toBe(false);
    expect(keepsReducedMasters(16_000_000, 2048)).toBe(false);
    expect(keepsReducedMasters(128 * 1024 * 1024, 2048)).toBe(true);
    expect(renderPlan(crop, { width: 640, height: 360 }, wallpaper, { maxSide: 2048, reduced: false })).toEqual({ from: 'source', order: 'shrink-first' });
    const photo = { width: 800, height: 600 };
    expect(renderPlan({ x: 0, y: 75, w: 800, h: 450 }, { width: 640, height: 360 }, photo, { maxSide: 2048, reduced: false })).toMatchObject({ from: 'master', reduced: false });
  });

  it('a crop at the far corner stays within the master', () => {
    const source = { width: 4001, height: 3001 };
    const master = masterSize(source, MASTERS.maxSide);
    const box = cropInMaster({ x: 2400, y: 1650, w: 1601, h: 1351 }, source, master);
    expect(box.x + box.w).toBe(master.width);
    expect(box.y + box.h).toBe(master.height);
  });

  it("names a reduced master's size in the ETag: another master size, another picture, another ETag", () => {
    const wallpaper = { width: 3840, height: 2400 };
    const crop = { x: 0, y: 120, w: 3840, h: 2160 };
    const size = { width: 480, height: 270 };
    const etag = (maxSide: number) => renderEtag('hash', crop, size, renderPlan(crop, size, wallpaper, { maxSide, reduced: true }), { format: 'webp' });
    expect(etag(2048)).not.toBe(etag(1536));
    expect(etag(2048)).toBe(etag(2048));
    // A full-size master's renders keep their ETag whatever the bound above the image's size.
    const photo = { width: 800, height: 600 };
    const small = (maxSide: number) => renderEtag('hash', { x: 0, y: 75, w: 800, h: 450 }, size, renderPlan({ x: 0, y: 75, w: 800, h: 450 }, size, photo, { maxSide, reduced: true }), { format: 'webp' });
    expect(small(2048)).toBe(small(1024));
  });

  it('a render from a reduced master has the size asked and the pixels of the full-resolution pipeline (within resampling)', async () => {
    // service-6.jpg is 480×350; a 240 px bound gives a 240×175 master.
    const bytes = await readFile(fixture('service-6.jpg'));
    const source = { width: 480, height: 350 };
    const crop = { x: 40, y: 60, w: 400, h: 225 };
    const misplaced = { x: 0, y: 90, w: 400, h: 225 };
    const size = { width: 96, height: 54 };
    const plan = renderPlan(crop, size, source, { maxSide: 240, reduced: true });
    if (plan.from !== 'master') throw new Error(`expected a master plan, got ${JSON.stringify(plan)}`);
    expect(plan.master).toEqual({ width: 240, height: 175 });
    expect(Math.min(plan.crop.w / size.width, plan.crop.h / size.height)).toBeGreaterThanOrEqual(MASTER_MIN_OVERSAMPLING);
    const master = await decodeMaster(bytes, source, plan.master, MAX_PIXELS);
    expect(master).toMatchObject({ width: 240, height: 175 });
    expect(master.pixels.length).toBe(240 * 175 * 3);
    const rendered = await renderFromMaster(master, plan.crop, size, { format: 'png' });
    expect(await sharp(rendered).metadata()).toMatchObject({ width: 96, height: 54 });
    const small = await quarter(rendered, size);
    const [same, other] = [meanAbsoluteDifference(small, await extractedThenResized(bytes, crop, size)), meanAbsoluteDifference(small, await extractedThenResized(bytes, misplaced, size))];
    // Measured: 0.96 for the crop, 41.7 for the misplaced one.
    expect(same).toBeLessThan(4);
    expect(other).toBeGreaterThan(10);
  });
});
