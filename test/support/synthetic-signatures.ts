import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { encodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { signaturesOfFiles } from '../../analysis/lineage/signature-files.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { shuffle } from '../../scripts/seeded-random.ts';

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
 * The `order`-th seeded random arrival order of `length` images (0-based): the orders the catalogue
 * evaluation submits in and the lineage evaluations replay, so their figures are of the same orders.
 */
export function arrivalOrder(length: number, order: number): number[] {
  return shuffle(Array.from({ length }, (_, k) => k), xorshift(1000 + order));
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

/** Synthetic catalogue of `size` signatures, streamed; lineages interleaved in windows of 500. */
export function* syntheticCatalogue(groups: ImageSignature[][], size: number): Generator<{ signature: ImageSignature; truth: number }> {
  const random = xorshift(12345);
  let emitted = 0;
  for (let window = 0; emitted < size; window++) {
    const members: Array<{ signature: ImageSignature; truth: number }> = [];
    for (let k = 0; k < 500; k++) {
      const lineage = window * 500 + k;
      const group = groups[lineage % groups.length]!;
      const mask = randomMask(random);
      group.forEach((base, m) => {
        const hash = (lineage.toString(16).padStart(8, '0') + m.toString(16).padStart(4, '0')).padEnd(32, 'a');
        members.push({ signature: deriveSignature(base, mask, random, hash), truth: lineage });
      });
    }
    // Shuffle inside the window: members of a lineage arrive apart, as in a real catalogue.
    shuffle(members, random);
    for (const member of members) {
      if (emitted++ >= size) return;
      yield member;
    }
  }
}

/** The real signatures of a lineage folder (truth.json beside the images), encoded (base64) and grouped by true lineage. */
export async function realLineageGroups(dir: string): Promise<{ groups: string[][]; summary: string }> {
  const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Record<string, string>;
  const files = Object.keys(truth).sort();
  await loadOpenCV();
  const signatures = await signaturesOfFiles(dir, files);
  const byLineage = new Map<string, string[]>();
  let bytes = 0;
  files.forEach((f, k) => {
    const encoded = encodeSignature(signatures[k]!);
    bytes += encoded.length;
    byLineage.set(truth[f]!, [...(byLineage.get(truth[f]!) ?? []), Buffer.from(encoded).toString('base64')]);
  });
  const groups = [...byLineage.keys()].sort().map((k) => byLineage.get(k)!);
  return { groups, summary: `base: ${files.length} real signatures in ${byLineage.size} lineages; mean encoded size ${Math.round(bytes / files.length)} bytes` };
}
