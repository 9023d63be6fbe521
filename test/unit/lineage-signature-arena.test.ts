import { describe, expect, it } from 'vitest';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { readSignature, SignatureArena } from '../../analysis/lineage/signature-arena.ts';

function signature(seed: number, textRegions: ImageSignature['textRegions']): ImageSignature {
  const values = (n: number, scale: number) => Float32Array.from({ length: n }, (_, k) => Math.sin(seed * 1000 + k) * scale);
  return {
    contentHash: `${seed.toString(16)}`.padStart(32, 'f'),
    width: 1920 + seed,
    height: 1080,
    histogram: values(96, 0.1),
    thumbnail: { width: 64, height: 36, data: Uint8Array.from({ length: 64 * 36 }, (_, k) => (k * seed) & 255) },
    featureFrame: { width: 512, height: 288 },
    // Half-pixel jitter (bench:cluster's synthetic signatures): not on the stored codec's 1/32 grid.
    features: { points: values(2 * 37, 500), descriptors: Uint8Array.from({ length: 37 * 32 }, (_, k) => (k * 31 + seed) & 255) },
    palette: { lab: values(3 * 8, 100), weights: values(8, 1) },
    textRegions,
  };
}

describe('SignatureArena', () => {
  it('gives back every signature bit for bit, across chunks, and announces each chunk once', () => {
    const announced: number[] = [];
    // Chunks of 12 kB hold two of these ~4.4 kB signatures each.
    const arena = new SignatureArena((index) => announced.push(index), 12288);
    const originals = Array.from({ length: 5 }, (_, k) => signature(k + 1, k === 1 ? [{ x: 0.1, y: 0.25, w: 0.333, h: 0.05 }] : []));
    const written = originals.map((s) => arena.write(s));
    written.forEach(({ place, signature: kept }, k) => {
      expect(kept).toEqual(originals[k]);
      expect(readSignature(arena.chunks[place.chunk]!, place.offset)).toEqual(originals[k]);
      expect(kept.features.descriptors.buffer).toBeInstanceOf(SharedArrayBuffer);
    });
    expect(written.map((w) => w.place.chunk)).toEqual([0, 0, 1, 1, 2]);
    expect(announced).toEqual([0, 1, 2]);
  });
});
