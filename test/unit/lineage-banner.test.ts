import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { computeSignature, type ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { LineageIndex } from '../../analysis/lineage/lineage-clustering.ts';
import { decodeSignature, encodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { defaultModel, similarity } from '../../analysis/lineage/similarity-index.ts';
import { liveScopedObjects } from '../../analysis/opencv/mat-scope.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { fixture } from '../support/fixtures.ts';

async function signatureOf(bytes: Buffer | string): Promise<ImageSignature> {
  return computeSignature((await decodeImage(bytes)).pixels);
}

describe('banners (images longer than 8:1)', () => {
  let banner: ImageSignature;
  let reencoded: ImageSignature;

  beforeAll(async () => {
    await loadOpenCV();
    banner = await signatureOf(fixture('lineage-banner.jpg'));
    reencoded = await signatureOf(await sharp(fixture('lineage-banner.jpg')).jpeg({ quality: 60 }).toBuffer());
  });

  // Regression: a 640×60 banner's 512 px feature frame was 48 px high, inside ORB's 31 px border
  // on both sides: no keypoints, index 0 against its own re-encode, and a lineage of its own.
  it('has keypoints, in a feature frame 128 px high', () => {
    expect(banner.featureFrame).toEqual({ width: 1366, height: 128 });
    expect(banner.thumbnail.height).toBe(16);
    expect(banner.features.points.length / 2).toBeGreaterThanOrEqual(100);
    expect(liveScopedObjects()).toBe(0);
  });

  it('joins one lineage with its re-encode', () => {
    expect(similarity(banner, reencoded).index).toBeGreaterThanOrEqual(defaultModel().threshold);
    const index = new LineageIndex();
    expect(index.add('reencoded', reencoded)).toBe(index.add('banner', banner));
  });

  it('fits the signature codec and its 20 kB', () => {
    const bytes = encodeSignature(banner);
    expect(bytes.length).toBeLessThanOrEqual(20_000);
    const decoded = decodeSignature(bytes);
    expect(decoded.featureFrame).toEqual(banner.featureFrame);
    expect(decoded.thumbnail).toEqual(banner.thumbnail);
    expect(decoded.features.descriptors).toEqual(banner.features.descriptors);
  });

  it('leaves the 512 px frame of an image up to 8:1 as it was', async () => {
    const eightToOne = await sharp(fixture('people-none.jpg')).extract({ left: 0, top: 170, width: 640, height: 80 }).png().toBuffer();
    expect((await signatureOf(eightToOne)).featureFrame).toEqual({ width: 512, height: 64 });
  });
});
