import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { projectPoint } from '../../analysis/lineage/homography.ts';
import { computeSignature, type ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { defaultModel, similarity } from '../../analysis/lineage/similarity-index.ts';
import { liveScopedObjects } from '../../analysis/opencv/mat-scope.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { fixture } from '../support/fixtures.ts';


async function signatureOf(name: string): Promise<ImageSignature> {
  return computeSignature((await decodeImage(fixture(name))).pixels);
}

describe('similarity index', () => {
  let china: ImageSignature;
  let chinaCrop: ImageSignature;
  let unrelated: ImageSignature;

  beforeAll(async () => {
    await loadOpenCV();
    china = await signatureOf('lineage-china.jpg');
    chinaCrop = await signatureOf('lineage-china-crop-title.jpg');
    unrelated = await signatureOf('lineage-unrelated.jpg');
  });

  it('gives index 1 for an image against itself', () => {
    const report = similarity(china, china);
    expect(report.histogram).toBeCloseTo(1, 5);
    expect(report.emd).toBeCloseTo(0, 5);
    expect(report.features.inlierRatio).toBe(1);
    expect(report.ssim).toBeGreaterThan(0.99);
    expect(report.index).toBeGreaterThan(0.999);
    expect(liveScopedObjects()).toBe(0);
  });

  it('sees through a 55% crop, a resize, colour correction and a title', () => {
    const report = similarity(china, chinaCrop);
    expect(report.features.inliers).toBeGreaterThanOrEqual(8);
    expect(report.features.overlap).toBeGreaterThan(0.8);
    expect(report.ssim).toBeGreaterThan(0.5);
    expect(report.index).toBeGreaterThanOrEqual(defaultModel().threshold);
  });

  it('is symmetric: the same index both ways, with inverse transforms', () => {
    const forward = similarity(china, chinaCrop);
    const backward = similarity(chinaCrop, china);
    expect(backward.index).toBe(forward.index);
    const [x, y] = projectPoint(backward.homography!, ...projectPoint(forward.homography!, 100, 50));
    expect(x).toBeCloseTo(100, 6);
    expect(y).toBeCloseTo(50, 6);
  });

  it('keeps unrelated images low', () => {
    const report = similarity(china, unrelated);
    expect(report.features.inliers).toBeLessThan(8);
    expect(report.index).toBeLessThan(0.05);
    expect(liveScopedObjects()).toBe(0);
  });
});
