import { beforeAll, describe, expect, it } from 'vitest';
import { edgeFocusIn, type EdgeFocusOptions } from '../../analysis/focus/edge-focus.ts';
import { energyMap } from '../../analysis/focus/energy-map.ts';
import { contains, coverage } from '../../analysis/geometry/box.ts';
import sharp from 'sharp';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import type { RgbImage } from '../../analysis/image/rgb-image.ts';
import { BLURRED_PEOPLE_PATCH as PATCH, fixture } from '../support/fixtures.ts';

const edgeFocus = (image: RgbImage, options: EdgeFocusOptions = {}) => edgeFocusIn(energyMap(image), options);

describe('edgeFocus', () => {
  beforeAll(async () => {
    await loadOpenCV();
  });

  it('finds the one sharp patch of a blurred image: region of interest on it, focal point inside', async () => {
    const { pixels } = await decodeImage(fixture('focus-blurred-people.jpg'));
    const focus = edgeFocus(pixels);
    expect(coverage(focus.roi, PATCH)).toBeGreaterThan(0.8);
    expect(coverage(PATCH, focus.roi)).toBeGreaterThan(0.8);
    expect(contains(PATCH, focus.focalPoint)).toBe(true);
  });

  it('puts the focus of a featureless picture at its centre, its region centred there (it took the first cell of the grid)', async () => {
    const flat = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#888' } }).png().toBuffer();
    const { pixels } = await decodeImage(flat);
    const focus = edgeFocus(pixels);
    expect(focus.focalPoint).toEqual({ x: 200, y: 150 });
    expect(focus.roi.x + focus.roi.w / 2).toBe(200);
    expect(focus.roi.y + focus.roi.h / 2).toBe(150);
  });

  it('gives a context region that holds the region of interest and grows as its threshold falls', async () => {
    const { pixels } = await decodeImage(fixture('people-group.jpg'));
    const strict = edgeFocus(pixels, { contextThreshold: 1.2 });
    const loose = edgeFocus(pixels, { contextThreshold: 0.5 });
    expect(strict.context).toEqual(strict.roi);
    expect(coverage(loose.roi, loose.context)).toBe(1);
    expect(loose.context.w * loose.context.h).toBeGreaterThan(loose.roi.w * loose.roi.h);
  });
});
