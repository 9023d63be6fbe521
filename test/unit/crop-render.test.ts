import { readFile } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Box } from '../../analysis/geometry/box.ts';
import { renderCrop, renderFromMaster, renderPlan, resizesFirst, type Size } from '../../api/render/crop-render.ts';
import { MASTER_MAX_SIDE, decodeMaster } from '../../api/render/render-master.ts';
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

describe('render masters: one decode, upright, serves every render of an image up to MASTER_MAX_SIDE', () => {
  it('renders from a master the very pixels of extracting from the source', async () => {
    const bytes = await readFile(fixture('astronaut-exif6.jpg'));
    const source = { width: 320, height: 240 };
    const crop = { x: 10, y: 30, w: 300, h: 180 };
    const size = { width: 200, height: 120 };
    expect(renderPlan(crop, size, source)).toBe('master');
    const master = await decodeMaster(bytes, MAX_PIXELS);
    expect(master).toMatchObject({ width: 320, height: 240 });
    const fromMaster = await sharp(await renderFromMaster(master, crop, size, { format: 'png' })).raw().toBuffer();
    const direct = await sharp(await renderCrop(bytes, crop, size, source, { format: 'png' }, MAX_PIXELS)).raw().toBuffer();
    expect(fromMaster.equals(direct)).toBe(true);
  });

  it('a larger image has no master: its renders decode the source (shrink-on-load first when the crop is 3× the output)', () => {
    const large = { width: MASTER_MAX_SIDE + 1, height: 1000 };
    const crop = { x: 0, y: 0, w: 1600, h: 900 };
    expect(renderPlan(crop, { width: 640, height: 360 }, large)).toBe('extract-first');
    expect(renderPlan(crop, { width: 320, height: 180 }, large)).toBe('shrink-first');
    expect(renderPlan(crop, { width: 320, height: 180 }, { width: MASTER_MAX_SIDE, height: 1000 })).toBe('master');
  });
});
