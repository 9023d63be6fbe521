import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { contrastNormalised, grayAtLongSides, type GrayImage } from '../../analysis/lineage/gray-image.ts';
import { orbFeatures } from '../../analysis/lineage/orb-features.ts';
import { liveScopedObjects } from '../../analysis/opencv/mat-scope.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { fixture } from '../support/fixtures.ts';

describe('ORB features', () => {
  let frame: GrayImage;

  beforeAll(async () => {
    await loadOpenCV();
    frame = contrastNormalised(grayAtLongSides((await decodeImage(fixture('lineage-china.jpg'))).pixels, [512])[0]!);
  });

  it('are the same without a mask as with one that excludes nothing a keypoint can reach', () => {
    // A corner pixel lies inside ORB's edge threshold on every level: excluding it forces the masked
    // path without removing any keypoint, so both paths must agree exactly.
    const unmasked = orbFeatures(frame);
    const masked = orbFeatures(frame, { exclude: [{ x: 0, y: 0, w: 1, h: 1 }] });
    expect(unmasked.points.length).toBe(800);
    expect(masked).toEqual(unmasked);
    expect(liveScopedObjects()).toBe(0);
  });

  it('drop the keypoints of an excluded region', () => {
    const left = { x: 0, y: 0, w: frame.width / 2, h: frame.height };
    const { points } = orbFeatures(frame, { exclude: [left] });
    const xs = points.filter((_, i) => i % 2 === 0);
    expect(xs.length).toBeGreaterThan(0);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(left.w);
  });

  it('are none for a frame 1 px across (a strip over ~290:1 scaled to 512 px), not an OpenCV assertion that failed the image as INTERNAL', () => {
    for (const [width, height] of [[1, 512], [512, 1], [1, 1]] as const) {
      const strip: GrayImage = { data: new Uint8Array(width * height).map((_, i) => (i * 37) % 256), width, height };
      expect(orbFeatures(strip).points.length, `${width}x${height}`).toBe(0);
    }
    expect(liveScopedObjects()).toBe(0);
  });

  // ORB keeps no keypoint within its 31-px border, so none is found here: what this checks is that
  // ORB runs on the narrowest frame the guard lets through without OpenCV's pyramid assertion.
  it('are looked for on a frame 2 px across, the narrowest ORB takes, without an OpenCV assertion', () => {
    const strip: GrayImage = { data: new Uint8Array(2 * 512).map((_, i) => (i * 37) % 256), width: 2, height: 512 };
    expect(orbFeatures(strip).points.length).toBe(0);
    expect(liveScopedObjects()).toBe(0);
  });
});
