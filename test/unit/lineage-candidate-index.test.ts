import { describe, expect, it } from 'vitest';
import { CANDIDATE_INDEX_DEFAULTS, CandidateIndex, tableBits, votesAboveChance } from '../../analysis/lineage/candidate-index.ts';
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

  it('counts a bucket shared with the query once per table, however often either image has its key', () => {
    // A flat area: the same descriptor three times in the indexed image, twice in the query (6 pairs of keys per table).
    const [flat] = randomDescriptors(1, 5);
    const index = new CandidateIndex();
    const textured = index.add(withDescriptors([flat!, flat!, flat!, ...randomDescriptors(10, 6)]));
    const [best] = index.query(withDescriptors([flat!, flat!, ...randomDescriptors(10, 7)]), 1, 1);
    expect(best).toEqual({ slot: textured, votes: 4, score: 4 });
  });

  it('asks more votes of a candidate once the index is large enough that chance gives unrelated images that many', () => {
    // By the chance tail measured on synth (CHANCE_VOTE_TAIL): one unrelated image at most over the bar.
    expect([1_492, 1_493, 28_571, 28_572, 526_315, 526_316, 2_000_000, 5_263_158].map((images) => votesAboveChance(images, 3))).toEqual([3, 4, 4, 5, 5, 6, 6, 7]);
    // Other keys (diagnosis runs) keep the uniform-keys Poisson tail: 0.153 votes per pair for 4 × 22 bits, 400 indexed.
    const otherKeys = { ...CANDIDATE_INDEX_DEFAULTS, bitsPerKey: 23 };
    expect([14_304, 14_305].map((images) => votesAboveChance(images, 3, otherKeys))).toEqual([3, 4]);
    // A descriptor one bit away from the sibling's, the bit only the first table samples: 3 votes (tables 2-4).
    const { tables, bitsPerKey } = CANDIDATE_INDEX_DEFAULTS;
    const bits = tableBits(tables, bitsPerKey);
    const bit = [...bits[0]!].find((b) => bits.slice(1).every((other) => !other.includes(b)))!;
    const [shared] = randomDescriptors(1, 5);
    const near = Uint8Array.from(shared!);
    near[bit >> 3]! ^= 1 << (bit & 7);
    const sibling = withDescriptors([shared!, ...randomDescriptors(3, 6)]);
    const query = withDescriptors([near, ...randomDescriptors(3, 7)]);
    const small = new CandidateIndex();
    small.add(sibling);
    expect(small.query(query, 1, 3)).toEqual([expect.objectContaining({ slot: 0, votes: 3 })]);
    const large = new CandidateIndex();
    large.add(sibling);
    for (let k = 0; k < 1_492; k++) large.add(withDescriptors(randomDescriptors(1, 1_000 + k)));
    expect(large.query(query, 1, 3)).toEqual([]);
  });
});
