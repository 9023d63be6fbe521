/**
 * How much lineage grouping depends on the order images arrive in, on a labelled folder: one image at a
 * time (`LineageIndex.add`, which the catalogue in Redis replays) in the canonical order of `artmeta
 * cluster` and in N seeded random orders — and, as a bound no incremental join without merging can
 * pass, an oracle join: an image joins a lineage of its true siblings as soon as any member already there
 * verifies against it directly (no candidate look-up, no representative limit, no core rule). Pair
 * similarities are computed once per pair and reused by every order. Measures only: choose nothing on
 * the validation set with it.
 *
 *   npm run eval:lineage-order -- <folder with truth.json> [more folders] [--orders N]
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { compareCanonical, LineageIndex } from '../../analysis/lineage/lineage-clustering.ts';
import type { PairSimilarity } from '../../analysis/lineage/lineage-join.ts';
import { signaturesOfFiles } from '../../analysis/lineage/signature-files.ts';
import { defaultModel, similarity } from '../../analysis/lineage/similarity-index.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { mulberry32, shuffle } from '../../scripts/seeded-random.ts';
import { scorePartition, type PartitionScore } from './lineage-eval.ts';

const FIGURES = ['precision', 'recall', 'f1', 'bcubedPrecision', 'bcubedRecall', 'bcubedF1'] as const;

/** Pair similarity remembered per ordered pair of signature objects. */
function rememberedSimilarity(): PairSimilarity {
  const seen = new Map<ImageSignature, Map<ImageSignature, ReturnType<PairSimilarity>>>();
  return (a, b) => {
    let row = seen.get(a);
    if (!row) seen.set(a, (row = new Map()));
    let report = row.get(b);
    if (!report) {
      const { index, homography } = similarity(a, b);
      row.set(b, (report = { index, homography }));
    }
    return report;
  };
}

/** Lineage of each image (by position) when `order` is added one at a time. */
function incremental(order: number[], signatures: ImageSignature[], pair: PairSimilarity): string[] {
  const index = new LineageIndex({ similarity: pair });
  const out: string[] = [];
  for (const k of order) out[k] = index.add(String(k), signatures[k]!);
  return out;
}

/** The oracle join: the first lineage of true siblings holding a member that verifies against the image. */
function oracle(order: number[], signatures: ImageSignature[], truth: string[], pair: PairSimilarity): string[] {
  const threshold = defaultModel().threshold;
  const lineages: number[][] = [];
  const out: string[] = [];
  for (const k of order) {
    let n = lineages.findIndex((members) => truth[members[0]!] === truth[k] && members.some((m) => pair(signatures[k]!, signatures[m]!).index >= threshold));
    if (n < 0) n = lineages.push([]) - 1;
    lineages[n]!.push(k);
    out[k] = `L${n}`;
  }
  return out;
}

function shuffled(length: number, seed: number): number[] {
  return shuffle(Array.from({ length }, (_, k) => k), mulberry32(seed));
}

const row = (label: string, s: PartitionScore) =>
  `${label.padEnd(30)} ${FIGURES.map((f) => s[f].toFixed(4).padStart(8)).join('')} ${String(s.falseMergePairs).padStart(7)}`;

async function evaluate(dir: string, orders: number): Promise<void> {
  const truthOf = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Record<string, string>;
  const files = Object.keys(truthOf).sort();
  const truth = files.map((f) => truthOf[f]!);
  const signatures = await signaturesOfFiles(dir, files);
  const pair = rememberedSimilarity();
  const canonical = files
    .map((id, k) => ({ id, signature: signatures[k]!, k }))
    .sort(compareCanonical)
    .map((image) => image.k);
  console.log(`${basename(dir)}: ${files.length} images, ${new Set(truth).size} lineages`);
  console.log(`${'join, order'.padEnd(30)}   pair P  pair R pair F1    B3 P    B3 R   B3 F1  merges`);
  for (const [name, join] of [
    ['LineageIndex.add', (order: number[]) => incremental(order, signatures, pair)],
    ['oracle', (order: number[]) => oracle(order, signatures, truth, pair)],
  ] as const) {
    const base = scorePartition(truth, join(canonical));
    console.log(row(`${name}, canonical`, base));
    let largest = 0;
    const recalls: number[] = [];
    for (let seed = 1; seed <= orders; seed++) {
      const score = scorePartition(truth, join(shuffled(files.length, seed)));
      console.log(row(`${name}, random ${seed}`, score));
      recalls.push(score.recall);
      for (const f of FIGURES) largest = Math.max(largest, Math.abs(score[f] - base[f]));
    }
    const mean = recalls.reduce((a, b) => a + b, 0) / orders;
    console.log(`${name}: random pair R mean ${mean.toFixed(4)}, min ${Math.min(...recalls).toFixed(4)}, max ${Math.max(...recalls).toFixed(4)}; largest difference vs canonical over every order and figure ${largest.toFixed(4)}`);
  }
  console.log('');
}

const args = process.argv.slice(2);
const at = args.indexOf('--orders');
const orders = at >= 0 ? Number(args.splice(at, 2)[1]) : 10;
await loadOpenCV();
for (const dir of args) await evaluate(dir, orders);
process.exit(0);
