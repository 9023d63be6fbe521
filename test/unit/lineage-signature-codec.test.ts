import { beforeAll, describe, expect, it } from 'vitest';
import { ArtmetaError } from '../../analysis/errors.ts';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { computeSignature, type ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { decodeSignature, encodeSignature, SIGNATURE_VERSION } from '../../analysis/lineage/signature-codec.ts';
import { similarity } from '../../analysis/lineage/similarity-index.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';

describe('signature codec', () => {
  let signature: ImageSignature;

  beforeAll(async () => {
    await loadOpenCV();
    const image = await decodeImage(new URL('../fixtures/lineage-china.jpg', import.meta.url).pathname);
    signature = computeSignature(image.pixels, { textRegions: [{ x: 10, y: 20, w: 100, h: 30 }] });
  });

  it('is deterministic: the same pixels give the same bytes', async () => {
    const image = await decodeImage(new URL('../fixtures/lineage-china.jpg', import.meta.url).pathname);
    expect(encodeSignature(computeSignature(image.pixels, { textRegions: [{ x: 10, y: 20, w: 100, h: 30 }] }))).toEqual(encodeSignature(signature));
  });

  it('round-trips within its fixed-point precision and stays compact', () => {
    const bytes = encodeSignature(signature);
    expect(bytes.length).toBeLessThanOrEqual(20_000);
    const decoded = decodeSignature(bytes);
    expect(decoded.contentHash).toBe(signature.contentHash);
    expect(decoded.features.descriptors).toEqual(signature.features.descriptors);
    expect(decoded.thumbnail).toEqual(signature.thumbnail);
    expect(decoded.textRegions).toHaveLength(1);
    expect(decoded.textRegions[0]!.x).toBeCloseTo(signature.textRegions[0]!.x, 4);
    for (let i = 0; i < signature.features.points.length; i++) {
      expect(Math.abs(decoded.features.points[i]! - signature.features.points[i]!)).toBeLessThanOrEqual(1 / 64);
    }
    expect(encodeSignature(decoded)).toEqual(bytes);
    expect(similarity(decoded, signature).index).toBeGreaterThan(0.999);
  });

  it('rejects bytes that are not a signature', () => {
    expect(() => decodeSignature(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(ArtmetaError);
    const truncated = encodeSignature(signature).slice(0, 100);
    expect(() => decodeSignature(truncated)).toThrow(/truncated/);
  });

  it('refuses a signature of an older format version with STALE_SIGNATURE, so it is recomputed', () => {
    const old = encodeSignature(signature);
    old[4] = SIGNATURE_VERSION - 1;
    expect(() => decodeSignature(old)).toThrow(expect.objectContaining({ code: 'STALE_SIGNATURE' }));
    const newer = encodeSignature(signature);
    newer[4] = SIGNATURE_VERSION + 1;
    expect(() => decodeSignature(newer)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
