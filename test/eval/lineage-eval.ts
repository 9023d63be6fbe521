/**
 * Lineage grouping on <data>/lineages: artmeta against three peers, each peer at the threshold best
 * for it on this set (connected components of its pairwise scores at that threshold).
 *
 *   npm run eval:lineage -- ../shared/data
 *
 * Prints pairwise precision / recall / F1 over all image pairs, the adjusted Rand index, the number of
 * falsely merged pairs (pairs put together that belong to different lineages), and the best recall
 * reachable at pairwise precision ≥ 0.99 over the method's threshold.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { histogramSimilarity } from '../../analysis/lineage/color-histogram.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { LineageIndex } from '../../analysis/lineage/lineage-clustering.ts';
import { encodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { signaturesOfFiles } from '../../analysis/lineage/signature-files.ts';
import { invertHomography } from '../../analysis/lineage/homography.ts';
import { defaultModel, similarity, type SimilarityReport } from '../../analysis/lineage/similarity-index.ts';

/** sharp-phash is CommonJS exporting the function itself; its typings claim an ES default export. */
const phash = createRequire(import.meta.url)('sharp-phash') as (image: Buffer) => Promise<string>;

export interface PartitionScore {
  precision: number;
  recall: number;
  f1: number;
  ari: number;
  falseMergePairs: number;
}

/** Pairwise scores and the adjusted Rand index of a predicted partition against the truth. */
export function scorePartition(truth: string[], predicted: string[]): PartitionScore {
  const cells = new Map<string, number>();
  const rows = new Map<string, number>();
  const cols = new Map<string, number>();
  truth.forEach((t, i) => {
    const p = predicted[i]!;
    cells.set(`${t}\u0000${p}`, (cells.get(`${t}\u0000${p}`) ?? 0) + 1);
    rows.set(t, (rows.get(t) ?? 0) + 1);
    cols.set(p, (cols.get(p) ?? 0) + 1);
  });
  const pairs = (n: number) => (n * (n - 1)) / 2;
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, n) => a + pairs(n), 0);
  const tp = sum(cells);
  const truePairs = sum(rows);
  const predictedPairs = sum(cols);
  const precision = predictedPairs > 0 ? tp / predictedPairs : 1;
  const recall = truePairs > 0 ? tp / truePairs : 1;
  const expected = (truePairs * predictedPairs) / pairs(truth.length);
  const maxIndex = (truePairs + predictedPairs) / 2;
  return {
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    ari: maxIndex === expected ? 1 : (tp - expected) / (maxIndex - expected),
    falseMergePairs: predictedPairs - tp,
  };
}

/** Connected components of the pairs scoring at least `threshold`. */
function components(n: number, scores: Float64Array, threshold: number): string[] {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (scores[k++]! >= threshold) parent[find(i)] = find(j);
  return Array.from({ length: n }, (_, i) => String(find(i)));
}

interface SweepResult {
  best: PartitionScore & { threshold: number };
  recallAtPrecision99: number;
}

function sweep(truth: string[], partitionAt: (t: number) => string[], thresholds: number[]): SweepResult {
  let best: (PartitionScore & { threshold: number }) | undefined;
  let recallAtPrecision99 = 0;
  for (const t of thresholds) {
    const score = scorePartition(truth, partitionAt(t));
    if (!best || score.f1 > best.f1) best = { ...score, threshold: t };
    if (score.precision >= 0.99) recallAtPrecision99 = Math.max(recallAtPrecision99, score.recall);
  }
  return { best: best!, recallAtPrecision99 };
}

/** Thresholds at the distinct score values (subsampled to at most `max`), so the peers get their best. */
function scoreThresholds(scores: Float64Array, max = 400): number[] {
  const sorted = [...new Set(scores)].sort((a, b) => a - b);
  const step = Math.max(1, Math.floor(sorted.length / max));
  return sorted.filter((_, i) => i % step === 0);
}

function pairScores(n: number, score: (i: number, j: number) => number): Float64Array {
  const out = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[k++] = score(i, j);
  return out;
}

async function phashBits(path: string): Promise<bigint> {
  return BigInt(`0b${await phash(await readFile(path))}`);
}

function hamming64(a: bigint, b: bigint): number {
  let x = a ^ b;
  let d = 0;
  while (x) {
    x &= x - 1n;
    d++;
  }
  return d;
}

const SSIM_SIDE = 64;

async function resizedGray(path: string): Promise<Float64Array> {
  const data = await sharp(path).greyscale().resize(SSIM_SIDE, SSIM_SIDE, { fit: 'fill' }).raw().toBuffer();
  return Float64Array.from(data);
}

/** Mean SSIM over 8×8 windows (stride 4) of two equally sized grayscale images. */
function globalSsim(a: Float64Array, b: Float64Array): number {
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  let total = 0;
  let windows = 0;
  for (let y = 0; y + 8 <= SSIM_SIDE; y += 4) {
    for (let x = 0; x + 8 <= SSIM_SIDE; x += 4) {
      let ma = 0, mb = 0, va = 0, vb = 0, cov = 0;
      for (let dy = 0; dy < 8; dy++) for (let dx = 0; dx < 8; dx++) {
        const i = (y + dy) * SSIM_SIDE + x + dx;
        ma += a[i]!;
        mb += b[i]!;
      }
      ma /= 64;
      mb /= 64;
      for (let dy = 0; dy < 8; dy++) for (let dx = 0; dx < 8; dx++) {
        const i = (y + dy) * SSIM_SIDE + x + dx;
        va += (a[i]! - ma) ** 2;
        vb += (b[i]! - mb) ** 2;
        cov += (a[i]! - ma) * (b[i]! - mb);
      }
      total += ((2 * ma * mb + C1) * ((2 * cov) / 63 + C2)) / ((ma * ma + mb * mb + C1) * ((va + vb) / 63 + C2));
      windows++;
    }
  }
  return total / windows;
}

/** artmeta's clustering at a given index threshold; pair similarities are cached across thresholds. */
function artmetaClustering(files: string[], signatures: ImageSignature[]) {
  const cache = new Map<string, SimilarityReport & { contentHashA: string }>();
  let computed = 0;
  let milliseconds = 0;
  const cached = (a: ImageSignature, b: ImageSignature) => {
    const key = a.contentHash < b.contentHash ? a.contentHash + b.contentHash : b.contentHash + a.contentHash;
    const hit = cache.get(key);
    if (hit) return hit.homography && hit.contentHashA !== a.contentHash ? { ...hit, homography: invertHomography(hit.homography) } : hit;
    const started = performance.now();
    const report = { ...similarity(a, b), contentHashA: a.contentHash };
    milliseconds += performance.now() - started;
    computed++;
    cache.set(key, report);
    return report;
  };
  return {
    at(threshold: number): string[] {
      const index = new LineageIndex({ threshold, similarity: cached });
      const assigned = index.cluster(files.map((id, k) => ({ id, signature: signatures[k]! })));
      return files.map((f) => assigned.get(f)!);
    },
    msPerPair: () => milliseconds / Math.max(1, computed),
    pairs: () => computed,
  };
}

function row(name: string, threshold: string, s: PartitionScore, recall99: number): string {
  return [
    name.padEnd(26),
    threshold.padStart(10),
    s.precision.toFixed(4).padStart(9),
    s.recall.toFixed(4).padStart(7),
    s.f1.toFixed(4).padStart(7),
    s.ari.toFixed(4).padStart(7),
    String(s.falseMergePairs).padStart(12),
    recall99.toFixed(4).padStart(11),
  ].join(' ');
}

async function main(): Promise<void> {
  const dir = join(process.argv[2] ?? '../shared/data', 'lineages');
  const truthMap = JSON.parse(await readFile(join(dir, 'truth.json'), 'utf8')) as Record<string, string>;
  const files = Object.keys(truthMap).sort();
  const truth = files.map((f) => truthMap[f]!);
  await loadOpenCV();

  let started = performance.now();
  const signatures = await signaturesOfFiles(dir, files);
  const signatureMs = (performance.now() - started) / files.length;
  const sizes = signatures.map((s) => encodeSignature(s).length);
  console.log(`lineages: ${files.length} images, ${new Set(truth).size} lineages, ${scorePartition(truth, truth).falseMergePairs} false merges in the truth (sanity)`);
  console.log(
    `signature: ${signatureMs.toFixed(1)} ms per image (decode + compute); encoded size mean ${Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length)} bytes, max ${Math.max(...sizes)} bytes`,
  );

  const model = defaultModel();
  const artmeta = artmetaClustering(files, signatures);
  started = performance.now();
  const atModel = scorePartition(truth, artmeta.at(model.threshold));
  const clusterMs = performance.now() - started;
  const artmetaPairs = artmeta.pairs();
  const artmetaSweep = sweep(truth, (t) => artmeta.at(t), [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, model.threshold].sort());

  const hashes = await Promise.all(files.map((f) => phashBits(join(dir, f))));
  const phashScores = pairScores(files.length, (i, j) => 64 - hamming64(hashes[i]!, hashes[j]!));
  const histogramScores = pairScores(files.length, (i, j) => histogramSimilarity(signatures[i]!.histogram, signatures[j]!.histogram));
  const grays = await Promise.all(files.map((f) => resizedGray(join(dir, f))));
  const ssimScores = pairScores(files.length, (i, j) => globalSsim(grays[i]!, grays[j]!));

  console.log('');
  console.log(`${'method'.padEnd(26)} ${'threshold'.padStart(10)} ${'precision'.padStart(9)} ${'recall'.padStart(7)} ${'F1'.padStart(7)} ${'ARI'.padStart(7)} ${'false merges'.padStart(12)} ${'R@P>=0.99'.padStart(11)}`);
  console.log(row('artmeta (model threshold)', model.threshold.toFixed(3), atModel, artmetaSweep.recallAtPrecision99));
  for (const [name, scores, label] of [
    ['sharp-phash (64-bit)', phashScores, (t: number) => `ham<=${64 - t}`],
    ['HSV histogram only', histogramScores, (t: number) => t.toFixed(3)],
    ['SSIM only (64x64, unaligned)', ssimScores, (t: number) => t.toFixed(3)],
  ] as const) {
    const result = sweep(truth, (t) => components(files.length, scores, t), scoreThresholds(scores));
    console.log(row(name, label(result.best.threshold), result.best, result.recallAtPrecision99));
  }
  console.log('');
  console.log(
    `artmeta: clustering at the model threshold ${clusterMs.toFixed(0)} ms for ${files.length} images, ${artmetaPairs} verified pairs (${artmeta.msPerPair().toFixed(2)} ms per pair) instead of ${(files.length * (files.length - 1)) / 2} for all pairs`,
  );
  console.log(`artmeta threshold sweep: best F1 ${artmetaSweep.best.f1.toFixed(4)} at ${artmetaSweep.best.threshold}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
