import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Box, Size } from '../../analysis/geometry/box.ts';
import { renderCrop, renderEtag, renderFromMaster, renderPlan, resizesFirst } from '../../api/render/crop-render.ts';
import { MASTER_MIN_OVERSAMPLING, cropInMaster, decodeMaster, jpegDecodeScale, keepsReducedMasters, masterSize } from '../../api/render/render-master.ts';
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
    expect(masterSize(wallpaper, MASTERS.maxSide)).toEqual({ width: 1920, height: 1200 });
    const crop = { x: 0, y: 120, w: 3840, h: 2160 };
    // 640×360 from 1920×1080 of the master: 3×.
    expect(renderPlan(crop, { width: 640, height: 360 }, wallpaper, MASTERS)).toEqual({
      from: 'master',
      master: { width: 1920, height: 1200 },
      crop: { x: 0, y: 60, w: 1920, h: 1080 },
      reduced: true,
    });
    expect(renderPlan(crop, { width: 960, height: 540 }, wallpaper, MASTERS)).toMatchObject({ from: 'master' });
    // Past half the master's pixels across the crop, the source is decoded: 961 px needs 1922 of the master's 1920.
    expect(renderPlan(crop, { width: 961, height: 541 }, wallpaper, MASTERS)).toEqual({ from: 'source', order: 'shrink-first' });
    // A tight crop: 800×450 of the master for a 500 px render is 1.6×; from the source it is 3.2× (shrink-on-load), for 640 px 2.5×.
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
    expect(etag(1920)).not.toBe(etag(1536));
    expect(etag(1920)).toBe(etag(1920));
    // Reduced masters are decoded at a DCT scale since 7 Dec 2026: the ETag of main before then, for this render at a 2048 px bound, is gone.
    expect(etag(2048)).not.toBe('"g-4XYGTvVNHBTI-IAbKXW9MWS92"');
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

describe('JPEG masters decoded at a DCT scale: libjpeg at ½, ¼ or ⅛ where the master keeps all its pixels', () => {
  it('a master is the ½, ¼ or ⅛ decode when that fills 90% of the bound, else the image scaled to the bound', () => {
    expect(masterSize({ width: 3840, height: 2400 }, 1920)).toEqual({ width: 1920, height: 1200 });
    expect(masterSize({ width: 3640, height: 2400 }, 1920)).toEqual({ width: 1820, height: 1200 });
    // 1728 px at ½ is 90% of 1920; 1727 is not.
    expect(masterSize({ width: 3456, height: 2304 }, 1920)).toEqual({ width: 1728, height: 1152 });
    expect(masterSize({ width: 3455, height: 2304 }, 1920)).toEqual({ width: 1920, height: 1280 });
    // Rounded down, as libvips decodes: 3641 px at ½ is 1820.
    expect(masterSize({ width: 2401, height: 3641 }, 1920)).toEqual({ width: 1200, height: 1820 });
    expect(masterSize({ width: 7680, height: 4320 }, 1920)).toEqual({ width: 1920, height: 1080 });
    // 12 MP: 2000 at ½ is past the bound, 1000 at ¼ too short: scaled.
    expect(masterSize({ width: 4000, height: 3000 }, 1920)).toEqual({ width: 1920, height: 1440 });
    expect(masterSize({ width: 1920, height: 1080 }, 1920)).toEqual({ width: 1920, height: 1080 });
  });

  it('takes the largest scale that still leaves the master size on both axes (libvips rounds a scaled side down)', () => {
    // 3840 px (4K) at the default bound: exactly ½.
    expect(jpegDecodeScale({ width: 3840, height: 2400 }, { width: 1920, height: 1200 })).toBe(2);
    // A 12 MP phone photo: ½ (2000×1500), then resampled to the bound.
    expect(jpegDecodeScale({ width: 4000, height: 3000 }, masterSize({ width: 4000, height: 3000 }, 1920))).toBe(2);
    // 3640 px: its master is its ½ decode, 1820 px (95% of the bound).
    expect(jpegDecodeScale({ width: 3640, height: 2400 }, masterSize({ width: 3640, height: 2400 }, 1920))).toBe(2);
    expect(jpegDecodeScale({ width: 8000, height: 6000 }, masterSize({ width: 8000, height: 6000 }, 1920))).toBe(4);
    // 549 rows at ½ are 274, one short of the master's 275.
    expect(jpegDecodeScale({ width: 800, height: 549 }, { width: 400, height: 275 })).toBe(1);
    // Past ⅛ with 3× or more left to resample, sharp shrinks on load by itself: no scale of ours on top.
    expect(jpegDecodeScale({ width: 64_000, height: 1000 }, masterSize({ width: 64_000, height: 1000 }, 1920))).toBe(1);
  });

  it("gives libjpeg's ½ decode, upright, and leaves no temporary file behind", async () => {
    const leftovers = async () => (await readdir(tmpdir())).filter((name) => name.startsWith('artmeta-master-')).length;
    const before = await leftovers();
    // service-6.jpg is 480×350: a 240×175 master is its ½ decode.
    const bytes = await readFile(fixture('service-6.jpg'));
    const master = await decodeMaster(bytes, { width: 480, height: 350 }, { width: 240, height: 175 }, MAX_PIXELS);
    expect(master).toMatchObject({ width: 240, height: 175, channels: 3 });
    const half = await sharp(`${fixture('service-6.jpg')}[shrink=2]`).raw().toBuffer();
    expect(master.pixels.equals(half)).toBe(true);
    // Not what a full decode resampled gives (the path before): the test tells the two apart.
    const resampled = await sharp(bytes).resize(240, 175, { fit: 'fill' }).raw().toBuffer();
    expect(master.pixels.equals(resampled)).toBe(false);
    expect(meanAbsoluteDifference(master.pixels, resampled)).toBeLessThan(3);
    expect(await leftovers()).toBe(before);
    // EXIF orientation 6 (stored 240×320, displayed 320×240): the ½ master is upright, as the upright twin's.
    const rotated = await decodeMaster(await readFile(fixture('astronaut-exif6.jpg')), { width: 320, height: 240 }, { width: 160, height: 120 }, MAX_PIXELS);
    const upright = await decodeMaster(await readFile(fixture('astronaut-upright.jpg')), { width: 320, height: 240 }, { width: 160, height: 120 }, MAX_PIXELS);
    expect(rotated).toMatchObject({ width: 160, height: 120 });
    expect(meanAbsoluteDifference(rotated.pixels, upright.pixels)).toBeLessThan(4);
  });

  it('decodes other formats whole and resamples them, as before', async () => {
    const png = await sharp(await readFile(fixture('service-6.jpg'))).png().toBuffer();
    const master = await decodeMaster(png, { width: 480, height: 350 }, { width: 240, height: 175 }, MAX_PIXELS);
    const resampled = await sharp(png).resize(240, 175, { fit: 'fill' }).raw().toBuffer();
    expect(master.pixels.equals(resampled)).toBe(true);
  });
});

describe('WebP effort (ARTMETA_RENDER_WEBP_EFFORT)', () => {
  it('encodes at the effort given and names it in the ETag; other formats keep their ETags', async () => {
    const crop = { x: 0, y: 75, w: 800, h: 450 };
    const size = { width: 480, height: 270 };
    const plan = renderPlan(crop, size, { width: 800, height: 600 }, MASTERS);
    expect(renderEtag('hash', crop, size, plan, { format: 'webp', webpEffort: 0 })).not.toBe(renderEtag('hash', crop, size, plan, { format: 'webp' }));
    expect(renderEtag('hash', crop, size, plan, { format: 'webp', webpEffort: 2 })).toBe(renderEtag('hash', crop, size, plan, { format: 'webp' }));
    expect(renderEtag('hash', crop, size, plan, { format: 'jpeg', webpEffort: 0 })).toBe(renderEtag('hash', crop, size, plan, { format: 'jpeg' }));
    const master = await decodeMaster(await readFile(fixture('service-6.jpg')), { width: 480, height: 350 }, { width: 480, height: 350 }, MAX_PIXELS);
    const box = { x: 40, y: 60, w: 400, h: 225 };
    const [fast, now] = await Promise.all([0, 2].map((webpEffort) => renderFromMaster(master, box, { width: 320, height: 180 }, { format: 'webp', webpEffort })));
    expect(fast!.equals(now!)).toBe(false);
    expect(await sharp(fast).metadata()).toMatchObject({ format: 'webp', width: 320, height: 180 });
  });
});

describe('renders cut the displayed pixels whatever the input stores', () => {
  /** How astronaut-upright.jpg is stored for each EXIF orientation so that, displayed, it is upright (320×240). */
  const STORED: Record<number, (image: Sharp) => Sharp> = {
    2: (image) => image.flop(),
    3: (image) => image.rotate(180),
    4: (image) => image.flip(),
    5: (image) => image.rotate(270).flop(),
    6: (image) => image.rotate(270),
    7: (image) => image.rotate(90).flop(),
    8: (image) => image.rotate(90),
  };
  const source = { width: 320, height: 240 };
  const crop = { x: 40, y: 30, w: 240, h: 180 };

  it.each([2, 3, 4, 5, 6, 7, 8])('EXIF orientation %i: the master (full and ½) and the source (both orders) give what they give for the upright file', async (orientation) => {
    const upright = await readFile(fixture('astronaut-upright.jpg'));
    const stored = await STORED[orientation]!(sharp(upright)).withMetadata({ orientation }).jpeg({ quality: 95 }).toBuffer();
    const renders = async (bytes: Buffer): Promise<Buffer[]> => {
      const full = await decodeMaster(bytes, source, source, MAX_PIXELS);
      const half = await decodeMaster(bytes, source, { width: 160, height: 120 }, MAX_PIXELS);
      const pictures = [
        await renderFromMaster(full, crop, { width: 120, height: 90 }, { format: 'png' }),
        await renderFromMaster(half, cropInMaster(crop, source, { width: 160, height: 120 }), { width: 60, height: 45 }, { format: 'png' }),
        await renderCrop(bytes, crop, { width: 120, height: 90 }, source, { format: 'png' }, MAX_PIXELS),
        await renderCrop(bytes, crop, { width: 60, height: 45 }, source, { format: 'png' }, MAX_PIXELS),
      ];
      return Promise.all(pictures.map((picture) => sharp(picture).raw().toBuffer()));
    };
    const [fromStored, fromUpright] = await Promise.all([renders(stored), renders(upright)]);
    ['full master', '½ master', 'source, extract first', 'source, shrink first'].forEach((path, i) => {
      // Measured 0.5-0.9 (one more JPEG encoding); without orientation 79-101.
      expect(meanAbsoluteDifference(fromStored[i]!, fromUpright[i]!), path).toBeLessThan(4);
    });
  });

  it('a transparent image renders as JPEG on white, from the master and from the source', async () => {
    const { data, info } = await sharp(fixture('astronaut-upright.jpg')).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    // Transparent and black underneath, as encoders often leave it: flattened on nothing, it would show black.
    data.fill(0);
    const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).png().toBuffer();
    const master = await decodeMaster(png, source, source, MAX_PIXELS);
    for (const picture of [
      await renderFromMaster(master, crop, { width: 120, height: 90 }, { format: 'jpeg' }),
      await renderCrop(png, crop, { width: 60, height: 45 }, source, { format: 'jpeg' }, MAX_PIXELS),
    ]) {
      const pixels = await sharp(picture).raw().toBuffer();
      expect(Math.min(...pixels)).toBeGreaterThan(250);
    }
  });
});
