import { beforeAll, describe, expect, it } from 'vitest';
import { CandidateIndex } from '../../analysis/lineage/candidate-index.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { lineageMatcher } from '../../analysis/lineage/lineage-matcher.ts';
import { SLOT_BYTES, topVoted } from '../../service/catalogue/catalogue-index.ts';
import { fixtureSignatures, syntheticLineages } from '../support/catalogue-fixtures.ts';

describe('catalogue candidate votes', () => {
  let bases: ImageSignature[];

  beforeAll(async () => {
    bases = [...(await fixtureSignatures(['lineage-china.jpg', 'lineage-china-crop-title.jpg'])).values()];
  });

  it('ranks the same candidates as the in-memory CandidateIndex, from the same bucket keys', () => {
    const matcher = lineageMatcher();
    const images = syntheticLineages(bases, 30, 5)
      .flat()
      .map((i) => i.signature);
    const memory = new CandidateIndex();
    // The catalogue's buckets: table → key → packed slots, filled as the assign script does.
    const buckets = Array.from({ length: matcher.tables }, () => new Map<number, number[]>());
    const bucketsOf = (signature: ImageSignature) =>
      matcher.candidateKeys(signature).flatMap((keys, t) =>
        keys.map((key) => {
          const slots = buckets[t]!.get(key) ?? [];
          const packed = Buffer.alloc(slots.length * SLOT_BYTES);
          slots.forEach((slot, k) => packed.writeUIntLE(slot, k * SLOT_BYTES, SLOT_BYTES));
          return packed;
        }),
      );
    const { minVotes, candidates } = matcher.limits;
    for (const signature of images) {
      const expected = memory.query(signature, candidates, minVotes).map((c) => c.slot);
      expect(topVoted(bucketsOf(signature), minVotes, candidates)).toEqual(expected);
      const slot = memory.add(signature);
      matcher.candidateKeys(signature).forEach((keys, t) => keys.forEach((key) => buckets[t]!.set(key, [...(buckets[t]!.get(key) ?? []), slot])));
    }
    // The derivatives found their originals: the comparison was not between empty lists.
    expect(images.filter((s) => memory.query(s, 1, minVotes).length > 0).length).toBe(images.length);
  });
});
