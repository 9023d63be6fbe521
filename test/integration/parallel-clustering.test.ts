import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { computeSignature, type ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { LineageIndex, type Lineage } from '../../analysis/lineage/lineage-clustering.ts';
import { ParallelClustering } from '../../analysis/lineage/parallel-clustering.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { VerificationPool } from '../../service/threads/verification-pool.ts';
import { shuffle } from '../../scripts/seeded-random.ts';
import { deriveSignature, randomMask, xorshift } from '../support/synthetic-signatures.ts';

/** Real lineages of the fixtures (and pictures that must stay apart), from which the synthetic catalogue derives. */
const GROUPS = [
  ['lineage-china.jpg', 'lineage-china-crop-title.jpg'],
  ['lineage-chain-a.jpg', 'lineage-chain-b.jpg', 'lineage-chain-c.jpg'],
  ['lineage-crop-16x9.jpg', 'lineage-crop-2x3.jpg', 'lineage-posterized.jpg', 'lineage-black-and-white.jpg'],
  ['lineage-moment-first.jpg'],
  ['lineage-moment-later.jpg'],
  ['lineage-unrelated.jpg'],
];

describe('ParallelClustering', () => {
  let images: Array<{ id: string; signature: ImageSignature }>;
  let pool: VerificationPool;

  beforeAll(async () => {
    await loadOpenCV();
    pool = new VerificationPool({ threads: 2 });
    const groups: ImageSignature[][] = [];
    for (const names of GROUPS) {
      const group: ImageSignature[] = [];
      for (const name of names) group.push(computeSignature((await decodeImage(new URL(`../fixtures/${name}`, import.meta.url).pathname)).pixels));
      groups.push(group);
    }
    // 13 real signatures → 130 synthetic ones in 60 lineages (bench:cluster's derivation), arriving shuffled.
    const random = xorshift(7);
    const derived = Array.from({ length: 60 }, (_, lineage) => {
      const mask = randomMask(random);
      return groups[lineage % groups.length]!.map((base, m) => deriveSignature(base, mask, random, `${lineage}-${m}`.padEnd(32, 'a')));
    }).flat();
    images = shuffle(derived, random).map((signature, k) => ({ id: `img-${k}`, signature }));
  });

  afterAll(() => pool.close());

  let expected: { assigned: string[]; lineages: Lineage[]; verifiedPairs: number } | undefined;
  const sequential = () => {
    if (expected) return expected;
    const index = new LineageIndex();
    const assigned = images.map(({ id, signature }) => index.add(id, signature));
    return (expected = { assigned, lineages: index.list(), verifiedPairs: index.verifiedPairs });
  };

  // Lookahead 1: hardly any plan meets a decided lineage; 64: most candidates are still undecided when
  // planned, so the joins compute missed pairs themselves. Either way the decisions must not change.
  it.each([1, 64])('assigns every image as LineageIndex.add does, lookahead %i', async (lookahead) => {
    const expected = sequential();
    const session = pool.session();
    const clustering = new ParallelClustering(session, { lookahead });
    const assigned: string[] = [];
    await clustering.addAll(images, (_, lineageId) => assigned.push(lineageId));
    session.close();
    expect(assigned).toEqual(expected.assigned);
    expect(clustering.index.list()).toEqual(expected.lineages);
    expect(clustering.index.verifiedPairs).toBe(expected.verifiedPairs);
    // Not a set of loners: a quarter of the images or more joined a lineage.
    expect(images.length - new Set(assigned).size).toBeGreaterThanOrEqual(images.length / 4);
  });

  it('clusters a batch in canonical order as LineageIndex.cluster does', async () => {
    const reversed = [...images].reverse();
    const sorted = (m: Map<string, string>) => [...m].sort((p, q) => (p[0] < q[0] ? -1 : 1));
    const session = pool.session();
    expect(sorted(await new ParallelClustering(session).cluster(reversed))).toEqual(sorted(new LineageIndex().cluster(images)));
    session.close();
  });
});
