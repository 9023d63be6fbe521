/**
 * How many bucket votes an image gets by chance from an unrelated one (the tail votesAboveChance models),
 * measured on the project's own synthetic catalogue: bench:catalogue's stream of synthetic lineages, made
 * here from the signatures of `npm run synth:lineages` (photos of Debian packages), never from the
 * validation set.
 *
 *   npx tsx scripts/fit-chance-votes.ts [synth dir, default .scratch/synth-lineages] [sizes, default 10000,30000] [queries, default 1000]
 *
 *   (the table in candidate-index.ts: `npx tsx scripts/fit-chance-votes.ts .scratch/synth-lineages 10000,50000 4000`)
 *
 * For each size N: the stream's first N images indexed (the first `indexedFeatures` descriptors of each,
 * `tables` tables, a key repeated in one table once: distinctBucketKeys, as CandidateIndex keys them),
 * the next `queries` images voting with all theirs; prints the share of unrelated (query, image) pairs
 * with at least k votes, S(k), beside Poisson(rate) (the uniform-keys model) and a negative binomial of
 * mean `rate` (variance rate + rate²/2, for the shape), the votes a sibling (same synthetic lineage) gets, and the share of queries with a sibling in the index
 * whose best-voted sibling has fewer than k votes (what a rule of k votes costs before verification).
 * A per-pair tail that does not change with N is what votesAboveChance assumes (chance candidates =
 * N × S(k)); the last size's S(k) is printed as CHANCE_VOTE_TAIL (analysis/lineage/candidate-index.ts).
 */
import { CANDIDATE_INDEX_DEFAULTS, distinctBucketKeys, REPEATED_KEY, tableBits } from '../analysis/lineage/candidate-index.ts';
import { descriptorWords, WORDS_PER_DESCRIPTOR } from '../analysis/lineage/hamming.ts';
import { decodeSignature } from '../analysis/lineage/signature-codec.ts';
import { realLineageGroups, syntheticCatalogue } from '../test/support/synthetic-signatures.ts';

const MAX_K = 24;

function negativeBinomialTail(mean: number, r: number, maxK: number): number[] {
  // P(X = 0) = (r / (r + mean))^r; P(X = k + 1) = P(X = k) · (k + r) / (k + 1) · mean / (r + mean).
  const q = mean / (r + mean);
  let term = Math.pow(r / (r + mean), r);
  let below = 0;
  const tail: number[] = [];
  for (let k = 0; k <= maxK; k++) {
    tail.push(Math.max(0, 1 - below));
    below += term;
    term *= ((k + r) / (k + 1)) * q;
  }
  return tail;
}

function poissonTail(rate: number, maxK: number): number[] {
  let term = Math.exp(-rate);
  let below = 0;
  const tail: number[] = [];
  for (let k = 0; k <= maxK; k++) {
    tail.push(Math.max(0, 1 - below));
    below += term;
    term *= rate / (k + 1);
  }
  return tail;
}

async function main(): Promise<void> {
  const dir = process.argv[2] ?? '.scratch/synth-lineages';
  const sizes = (process.argv[3] ?? '10000,30000').split(',').map(Number);
  const queries = Number(process.argv[4] ?? 1000);
  const { tables, bitsPerKey, indexedFeatures } = CANDIDATE_INDEX_DEFAULTS;
  const rate = (tables * indexedFeatures ** 2) / 2 ** bitsPerKey;
  const base = await realLineageGroups(dir);
  console.log(base.summary);
  const groups = base.groups.map((g) => g.map((b) => decodeSignature(Buffer.from(b, 'base64'))));
  const bits = tableBits(tables, bitsPerKey);
  const keysOf = (descriptors: Uint8Array, limit: number) => {
    const words = descriptorWords(descriptors);
    const count = Math.min(limit, words.length / WORDS_PER_DESCRIPTOR);
    return distinctBucketKeys(bits, words, count).map((keys) => keys.filter((key) => key !== REPEATED_KEY));
  };
  for (const size of sizes) {
    const truth = new Int32Array(size);
    // Compressed buckets per table: the slots of key k are slots[t][start[t][k] .. start[t][k + 1]).
    const keyed: Int32Array[][] = [];
    const stream = syntheticCatalogue(groups, size + queries);
    for (let n = 0; n < size; n++) {
      const item = stream.next().value!;
      truth[n] = item.truth;
      keyed.push(keysOf(item.signature.features.descriptors, indexedFeatures));
    }
    const starts: Int32Array[] = [];
    const slots: Int32Array[] = [];
    for (let t = 0; t < tables; t++) {
      const start = new Int32Array((1 << bitsPerKey) + 1);
      for (const k of keyed) for (const key of k[t]!) start[key + 1]!++;
      for (let i = 0; i < 1 << bitsPerKey; i++) start[i + 1]! += start[i]!;
      const fill = start.slice(0, -1);
      const out = new Int32Array(start[1 << bitsPerKey]!);
      keyed.forEach((k, slot) => {
        for (const key of k[t]!) out[fill[key]!++] = slot;
      });
      starts.push(start);
      slots.push(out);
    }
    keyed.length = 0;
    const votes = new Int32Array(size);
    const chance = new Float64Array(MAX_K + 1);
    const siblingVotes: number[] = [];
    /** Per query with a sibling in the index: its best-voted sibling's votes. */
    const bestSibling: number[] = [];
    let chanceVotes = 0;
    for (let q = 0; q < queries; q++) {
      const item = stream.next().value!;
      const keys = keysOf(item.signature.features.descriptors, Number.POSITIVE_INFINITY);
      const touched: number[] = [];
      for (let t = 0; t < tables; t++) {
        for (const key of keys[t]!) {
          for (let e = starts[t]![key]!; e < starts[t]![key + 1]!; e++) {
            const slot = slots[t]![e]!;
            if (votes[slot] === 0) touched.push(slot);
            votes[slot]!++;
          }
        }
      }
      let best = -1;
      for (const slot of touched) {
        const v = votes[slot]!;
        votes[slot] = 0;
        if (truth[slot] === item.truth) {
          siblingVotes.push(v);
          best = Math.max(best, v);
        }
        else {
          chanceVotes += v;
          chance[Math.min(v, MAX_K)]!++;
        }
      }
      if (best >= 0 || truth.subarray(0, size).includes(item.truth)) bestSibling.push(Math.max(best, 0));
    }
    const pairs = size * queries;
    const tail = Array.from({ length: MAX_K + 1 }, (_, k) => chance.slice(k).reduce((a, b) => a + b, 0) / pairs);
    tail[0] = 1;
    siblingVotes.sort((a, b) => a - b);
    const quantile = (p: number) => siblingVotes[Math.floor(p * (siblingVotes.length - 1))] ?? 0;
    console.log(`\nN = ${size}, ${queries} queries: mean chance votes per unrelated pair ${(chanceVotes / pairs).toFixed(4)} (uniform keys: ${rate.toFixed(4)})`);
    console.log(`  sibling votes: ${siblingVotes.length} pairs, 1% ${quantile(0.01)}, 5% ${quantile(0.05)}, median ${quantile(0.5)}`);
    const models = [
      { name: 'Poisson', tail: poissonTail(rate, MAX_K) },
      { name: 'NB r=2', tail: negativeBinomialTail(rate, 2, MAX_K) },
    ];
    console.log(`  queries with a sibling in the index: ${bestSibling.length}`);
    console.log(`  ${'k'.padStart(3)} ${'unrelated ≥k'.padStart(12)} ${'S(k)'.padStart(10)} ${models.map((m) => m.name.padStart(11)).join('')} ${'N·S(k)'.padStart(9)} ${'best sibling <k'.padStart(16)}`);
    for (let k = 1; k <= 12; k++) {
      const count = chance.slice(k).reduce((a, b) => a + b, 0);
      const lost = bestSibling.filter((v) => v < k).length / Math.max(1, bestSibling.length);
      console.log(
        `  ${String(k).padStart(3)} ${String(count).padStart(12)} ${tail[k]!.toExponential(2).padStart(10)} ${models.map((m) => m.tail[k]!.toExponential(2).padStart(11)).join('')} ${(size * tail[k]!).toFixed(3).padStart(9)} ${lost.toFixed(4).padStart(16)}`,
      );
    }
    if (size === sizes.at(-1)) console.log(`CHANCE_VOTE_TAIL = [${tail.slice(0, 12).map((s) => Number(s.toPrecision(2))).join(', ')}]`);
  }
}

await main();
