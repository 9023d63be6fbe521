import { describe, expect, it } from 'vitest';
import { CandidateIndex } from '../../analysis/lineage/candidate-index.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';

/** A signature carrying only descriptors: all the candidate index reads. */
function withDescriptors(descriptors: Uint8Array[]): ImageSignature {
  const bytes = new Uint8Array(descriptors.length * 32);
  descriptors.forEach((d, k) => bytes.set(d, k * 32));
  return { features: { points: new Float32Array(descriptors.length * 2), descriptors: bytes } } as ImageSignature;
}

function randomDescriptors(count: number, seed: number): Uint8Array[] {
  let state = seed >>> 0;
  return Array.from({ length: count }, () =>
    Uint8Array.from({ length: 32 }, () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 24;
    }),
  );
}

describe('CandidateIndex', () => {
  it('ranks an image sharing rare descriptors above one sharing more descriptors every texture has', () => {
    const texture = randomDescriptors(6, 1);
    const sharedCore = randomDescriptors(4, 2);
    const index = new CandidateIndex();
    // Twenty pictures of the same texture fill its buckets; one of them comes first.
    for (let k = 0; k < 20; k++) index.add(withDescriptors([...texture, ...randomDescriptors(10, 100 + k)]));
    const sibling = index.add(withDescriptors([...sharedCore, ...randomDescriptors(10, 3)]));
    const [best] = index.query(withDescriptors([...texture, ...sharedCore]), 1);
    // By raw votes every texture picture (6 descriptors × 4 tables) outvotes the sibling (4 × 4).
    expect(best?.slot).toBe(sibling);
    expect(best?.votes).toBe(16);
  });
});
