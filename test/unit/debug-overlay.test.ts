import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { analyzeImage } from '../../analysis/analyze-image.ts';
import { renderDebugOverlay } from '../../analysis/render/debug-overlay.ts';
import { fixture } from '../support/fixtures.ts';

describe('renderDebugOverlay', () => {
  it.each([
    [8000, 2, 1024, 1],
    [2, 8000, 1, 1024],
  ])('draws a %ix%i image (aspect over 2048:1) at least one pixel across (its short side rounded to 0 and sharp threw)', async (width, height, outWidth, outHeight) => {
    const image = await sharp(fixture('astronaut-upright.jpg')).resize(width, height, { fit: 'fill' }).png().toBuffer();
    const analysis = await analyzeImage(image, { text: false });
    const overlay = await renderDebugOverlay(image, analysis);
    expect(await sharp(overlay).metadata()).toMatchObject({ format: 'jpeg', width: outWidth, height: outHeight });
  });
});
