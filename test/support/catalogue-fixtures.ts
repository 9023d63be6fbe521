import { createHash } from 'node:crypto';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { computeSignature, type ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { fixture } from './fixtures.ts';
import { deriveSignature, randomMask, xorshift } from './synthetic-signatures.ts';

/** Signatures of the lineage fixtures (one decode each), by file name. */
export async function fixtureSignatures(names: readonly string[]): Promise<Map<string, ImageSignature>> {
  await loadOpenCV();
  const out = new Map<string, ImageSignature>();
  for (const name of names) out.set(name, computeSignature((await decodeImage(fixture(name))).pixels));
  return out;
}

/** A stand-in for an image's SHA-256: 64 hex digits from a name. */
export function fakeImageHash(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/**
 * `count` distinct synthetic lineages, each the given real derivatives under its own descriptor mask
 * (see deriveSignature, without bit noise: each verifies as its fixture does): many independent
 * backgrounds from one decoded pair of fixtures.
 */
export function syntheticLineages(bases: readonly ImageSignature[], count: number, seed = 7): { hash: string; signature: ImageSignature }[][] {
  const random = xorshift(seed);
  return Array.from({ length: count }, (_, l) => {
    const mask = randomMask(random);
    return bases.map((base, m) => {
      const name = `synthetic-${seed}-${l}-${m}`;
      const contentHash = createHash('sha256').update(name).digest('hex').slice(0, 32);
      return { hash: fakeImageHash(name), signature: deriveSignature(base, mask, random, contentHash, 0) };
    });
  });
}
