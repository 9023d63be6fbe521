import { describe, expect, it } from 'vitest';
import { CandidateIndex } from '../../analysis/lineage/candidate-index.ts';
import { randomDescriptors, withDescriptors } from '../support/descriptor-signatures.ts';

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
