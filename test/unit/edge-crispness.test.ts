import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { withMats } from '../../analysis/opencv/mat-scope.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { edgeCrispness } from '../../analysis/people/edge-crispness.ts';
import { toGrayMat } from '../../analysis/opencv/gray-mat.ts';
import { regionSharpness } from '../../analysis/people/region-sharpness.ts';
import { fixture } from '../support/fixtures.ts';

/** The face in `people-close-up.jpg` (280×330), by eye. */
const FACE = { x: 90, y: 80, w: 100, h: 130 };

async function measure(scale: number, sigma: number): Promise<{ crispness: number; sharpness: number }> {
  let bytes = await sharp(fixture('people-close-up.jpg')).resize({ width: 280 * scale }).png().toBuffer();
  if (sigma > 0) bytes = await sharp(bytes).blur(sigma).png().toBuffer();
  const { pixels } = await decodeImage(bytes);
  const face = { x: FACE.x * scale, y: FACE.y * scale, w: FACE.w * scale, h: FACE.h * scale };
  return withMats((scope) => {
    const gray = toGrayMat(scope, pixels);
    return { crispness: edgeCrispness(gray, face), sharpness: regionSharpness(scope, gray, face) };
  });
}

describe('edgeCrispness', () => {
  beforeAll(async () => {
    await loadOpenCV();
  });

  it('tells a face in focus from the same face blurred, at any size', async () => {
    for (const scale of [1, 2]) {
      expect((await measure(scale, 0)).crispness).toBeGreaterThan(0.08);
      expect((await measure(scale, 8)).crispness).toBeLessThan(0.05);
    }
  });

  it('falls as the blur grows, in pixels, where a fixed-size sample of a larger face hides it', async () => {
    const [small, large] = [await measure(1, 6), await measure(2, 6)];
    expect(large.sharpness).toBeGreaterThan(small.sharpness);
    expect(Math.abs(large.crispness - small.crispness)).toBeLessThan(0.02);
    expect((await measure(2, 10)).crispness).toBeLessThan(large.crispness);
  });

  it('is 0 for an empty or off-image region', async () => {
    const { pixels } = await decodeImage(fixture('people-close-up.jpg'));
    withMats((scope) => {
      const gray = toGrayMat(scope, pixels);
      expect(edgeCrispness(gray, { x: 10, y: 10, w: 0, h: 0 })).toBe(0);
      expect(edgeCrispness(gray, { x: 500, y: 500, w: 50, h: 50 })).toBe(0);
    });
  });
});
