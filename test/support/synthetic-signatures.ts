import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';

/** Seeded uniform numbers in [0, 1): the same catalogue on every run. */
export function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/**
 * A synthetic member of a synthetic lineage: `base` with every descriptor XORed by the lineage's
 * 256-bit `mask`, plus bit noise (`bitNoise` of the bits, default 2%) and half-pixel keypoint jitter. Inside one mask the geometry and
 * Hamming distances of the real derivatives are kept; descriptors under two masks are unrelated, so
 * one real lineage gives as many distinct synthetic ones as there are masks.
 */
export function deriveSignature(base: ImageSignature, mask: Uint8Array, random: () => number, hash: string, bitNoise = 0.02): ImageSignature {
  const descriptors = new Uint8Array(base.features.descriptors.length);
  for (let i = 0; i < descriptors.length; i++) descriptors[i] = base.features.descriptors[i]! ^ mask[i % 32]!;
  // 2% bit noise: ~5 of each descriptor's 256 bits flipped.
  for (let flips = Math.round(descriptors.length * 8 * bitNoise); flips > 0; flips--) {
    const bit = Math.floor(random() * descriptors.length * 8);
    descriptors[bit >>> 3]! ^= 1 << (bit & 7);
  }
  const points = base.features.points.map((v) => v + random() - 0.5);
  return {
    ...base,
    contentHash: hash,
    histogram: Float32Array.from(base.histogram),
    thumbnail: { ...base.thumbnail, data: Uint8Array.from(base.thumbnail.data) },
    palette: { lab: Float32Array.from(base.palette.lab), weights: Float32Array.from(base.palette.weights) },
    features: { points, descriptors },
  };
}

/** A random 256-bit descriptor mask. */
export function randomMask(random: () => number): Uint8Array {
  return Uint8Array.from({ length: 32 }, () => Math.floor(random() * 256));
}
