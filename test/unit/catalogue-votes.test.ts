import { beforeAll, describe, expect, it } from 'vitest';
import { CandidateIndex, REPEATED_KEY, votesAboveChance } from '../../analysis/lineage/candidate-index.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { lineageMatcher } from '../../analysis/lineage/lineage-matcher.ts';
import { SLOT_BYTES } from '../../service/catalogue/catalogue-keys.ts';
import { parseLengths, topVoted, voteTally } from '../../service/catalogue/catalogue-votes.ts';
import { fixtureSignatures, syntheticLineages } from '../support/catalogue-fixtures.ts';
import { randomDescriptors, withDescriptors } from '../support/descriptor-signatures.ts';
import { xorshift } from '../support/synthetic-signatures.ts';

describe('catalogue candidate votes', () => {
  let bases: ImageSignature[];

  beforeAll(async () => {
    bases = [...(await fixtureSignatures(['lineage-china.jpg', 'lineage-china-crop-title.jpg'])).values()];
  });

  const rankAlike = (images: ImageSignature[]) => {
    const matcher = lineageMatcher();
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
      expect(topVoted(bucketsOf(signature), matcher.tables, minVotes, candidates, memory.size)).toEqual(expected);
      const slot = memory.add(signature);
      // (A repeated key is in no bucket: the look-up script appends nothing for it.)
      matcher.candidateKeys(signature).forEach((keys, t) => keys.forEach((key) => key !== REPEATED_KEY && buckets[t]!.set(key, [...(buckets[t]!.get(key) ?? []), slot])));
    }
    return memory;
  };

  it('ranks the same candidates as the in-memory CandidateIndex, from the same bucket keys', () => {
    const images = syntheticLineages(bases, 30, 5)
      .flat()
      .map((i) => i.signature);
    const memory = rankAlike(images);
    // The derivatives found their originals: the comparison was not between empty lists.
    expect(images.filter((s) => memory.query(s, 1, lineageMatcher().limits.minVotes).length > 0).length).toBe(images.length);
  });

  it('ranks by rarity-weighted score as CandidateIndex does: shared rare descriptors over crowded texture', () => {
    const texture = randomDescriptors(6, 1);
    const sharedCore = randomDescriptors(4, 2);
    const images = Array.from({ length: 20 }, (_, k) => withDescriptors([...texture, ...randomDescriptors(10, 100 + k)]));
    images.push(withDescriptors([...sharedCore, ...randomDescriptors(10, 3)]));
    // The last query: by raw votes every texture picture outvotes the sibling (slot 20).
    images.push(withDescriptors([...texture, ...sharedCore]));
    const memory = rankAlike(images);
    // (It is in the index now, so itself first; then the sibling, not one of the twenty.)
    expect(memory.query(images[21]!, 2).map((c) => c.slot)).toEqual([21, 20]);
  });

  it('ranks alike when images repeat descriptors (a bucket counts once per table on both sides)', () => {
    const flat = randomDescriptors(2, 8);
    const images = Array.from({ length: 12 }, (_, k) => withDescriptors([...flat, ...flat, ...(k % 2 ? flat : []), ...randomDescriptors(6, 200 + k)]));
    images.push(withDescriptors([...flat, ...flat, ...flat, ...randomDescriptors(6, 300)]));
    const memory = rankAlike(images);
    // Itself first (8 distinct descriptors × 4 tables), then every other image by the 2 flat descriptors' buckets: 8 votes, not 48.
    expect(memory.query(images[12]!, 20, 1).map((c) => c.votes)).toEqual([32, ...Array.from({ length: 12 }, () => 8)]);
  });

  it("counts the entries of slots older than the image's own only, weighted by how many of them a bucket held", () => {
    const pack = (...slots: number[]) => Buffer.concat(slots.map((slot) => Buffer.from([slot & 0xff, (slot >> 8) & 0xff, slot >> 16])));
    // 2 tables × 2 keys, table-major, as the look-up returns them; the image's own slot is 7.
    const buckets = [pack(1, 2, 7), pack(2, 7, 9), Buffer.from('F'), pack(9)];
    const lengths = parseLengths(Buffer.from(Uint16Array.from(buckets, (b) => b.length).buffer));
    expect(lengths).toEqual([9, 9, 1, 3]);
    const tally = voteTally({ bytes: Buffer.concat(buckets), lengths }, 2, 7);
    expect([...tally.keys()].sort()).toEqual([1, 2]);
    expect(tally.get(2)).toEqual({ votes: 2, score: 1 / Math.sqrt(2) + 1 });
    expect([...voteTally({ bytes: Buffer.concat(buckets), lengths }, 2, 7, 2).keys()]).toEqual([2]);
  });

  it('counts a slot voted for by hundreds of buckets exactly, and leaves no count behind for the next tally', () => {
    const pack = (...slots: number[]) => Buffer.concat(slots.map((slot) => Buffer.from([slot & 0xff, (slot >> 8) & 0xff, slot >> 16])));
    // 300 buckets hold slot 5 (a flat picture's descriptors all in one bucket of each table, say), 299 of them slot 9 too.
    const crowded = Array.from({ length: 300 }, (_, k) => (k === 0 ? pack(5) : pack(5, 9)));
    const tallyOf = (buckets: Buffer[], below: number) => voteTally({ bytes: Buffer.concat(buckets), lengths: buckets.map((b) => b.length) }, 2, below, 3);
    const first = tallyOf(crowded, 10);
    expect(first.get(5)?.votes).toBe(300);
    expect(first.get(9)?.votes).toBe(299);
    // Slot 9 again, by two buckets only: under the votes needed, whatever the tally before counted for it.
    expect([...tallyOf([pack(9), pack(9), pack(3), pack(3)], 10).keys()]).toEqual([]);
    expect(tallyOf(crowded, 10)).toEqual(first);
  });

  it('tallies buckets of a large catalogue (tens of thousands of entries, many slots in several) as a plain count does', () => {
    const random = xorshift(7);
    const tables = 4;
    const buckets = Array.from({ length: tables * 400 }, () => {
      const slots = Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 20_000)).sort((a, b) => a - b);
      return Buffer.concat(slots.map((slot) => Buffer.from([slot & 0xff, (slot >> 8) & 0xff, slot >> 16])));
    });
    // The reference: every entry's vote and weight added in the same order, in a Map.
    const expected = new Map<number, { votes: number; score: number }>();
    for (let d = 0; d < 400; d++) {
      for (let t = 0; t < tables; t++) {
        const bucket = buckets[t * 400 + d]!;
        const below = Array.from({ length: bucket.length / 3 }, (_, e) => bucket.readUIntLE(e * 3, 3)).filter((slot) => slot < 15_000);
        for (const slot of below) {
          const tally = expected.get(slot) ?? { votes: 0, score: 0 };
          tally.votes++;
          tally.score += 1 / Math.sqrt(below.length);
          expected.set(slot, tally);
        }
      }
    }
    const lengths = buckets.map((b) => b.length);
    const needed = votesAboveChance(15_000, 3);
    expect(needed).toBe(4);
    const qualified = [...expected].filter(([, tally]) => tally.votes >= needed);
    expect(qualified.length).toBeGreaterThan(100);
    expect(qualified.length).toBeLessThan([...expected.values()].filter((tally) => tally.votes >= 3).length);
    expect(new Map([...voteTally({ bytes: Buffer.concat(buckets), lengths }, tables, 15_000, 3)].sort((a, b) => a[0] - b[0]))).toEqual(new Map(qualified.sort((a, b) => a[0] - b[0])));
  });
});
