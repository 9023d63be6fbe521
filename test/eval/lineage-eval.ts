/**
 * Lineage grouping on <data>/lineages and <data>/lineages-hard, each reported on its own: artmeta
 * (at its committed model, fitted on synth:lineages, never on this data) against three peers, each
 * peer at the threshold best for it on that folder (connected components of its pairwise scores).
 *
 *   npm run eval:lineage -- ../shared/data [folders, default lineages,lineages-hard] [--orders N, default 20]
 *
 * Prints pairwise precision / recall / F1 over all image pairs, B-cubed precision / recall / F1, the
 * adjusted Rand index, the number of falsely merged pairs (pairs put together that belong to different
 * lineages), the best pairwise recall reachable at precision ≥ 0.99 over the method's threshold, and
 * artmeta's recall per transform family (see transformFamily); then artmeta added one image at a time in
 * N seeded random arrival orders (arrival-orders.ts): mean and min pairwise P and R, orders with a false merge.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { histogramSimilarity } from '../../analysis/lineage/color-histogram.ts';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { computeSignature, type ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { LineageIndex } from '../../analysis/lineage/lineage-clustering.ts';
import { encodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { signaturesOfFiles } from '../../analysis/lineage/signature-files.ts';
import { invertHomography } from '../../analysis/lineage/homography.ts';
import { defaultModel, similarity, type SimilarityReport } from '../../analysis/lineage/similarity-index.ts';
import { replayOrders, summariseOrders } from './arrival-orders.ts';

/** sharp-phash is CommonJS exporting the function itself; its typings claim an ES default export. */
const phash = createRequire(import.meta.url)('sharp-phash') as (image: Buffer) => Promise<string>;

export interface PartitionScore {
  precision: number;
  recall: number;
  f1: number;
  bcubedPrecision: number;
  bcubedRecall: number;
  bcubedF1: number;
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
  // B-cubed: per image, the share of its predicted cluster that is its lineage and of its lineage
  // that is in its predicted cluster, averaged over images.
  let bp = 0;
  let br = 0;
  truth.forEach((t, i) => {
    const both = cells.get(`${t}\u0000${predicted[i]!}`)!;
    bp += both / cols.get(predicted[i]!)!;
    br += both / rows.get(t)!;
  });
  const bcubedPrecision = bp / truth.length;
  const bcubedRecall = br / truth.length;
  return {
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    bcubedPrecision,
    bcubedRecall,
    bcubedF1: (2 * bcubedPrecision * bcubedRecall) / (bcubedPrecision + bcubedRecall),
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
    /** The pair similarity the clustering uses, remembered: replays of other orders reuse it. */
    pair: cached,
    msPerPair: () => milliseconds / Math.max(1, computed),
    pairs: () => computed,
  };
}

export const FAMILIES = ['crop-only', 'grade', 'filter', 'title', 'combined'] as const;
export type TransformFamily = (typeof FAMILIES)[number];

/**
 * Which kinds of change made a derivative, from its transforms.json entry: the data sets' free-text
 * descriptions (a colour word is a grade, "ImageMagick" a filter, "overlay" a title or badge), or the
 * family synth:lineages writes. Crops, resizes, turns and JPEG alone are "crop-only"; two kinds or more
 * "combined".
 */
export function transformFamily(entry: string | { family: string }): TransformFamily {
  if (typeof entry !== 'string') return entry.family as TransformFamily;
  const kinds = new Set<string>();
  if (/imagemagick/i.test(entry)) kinds.add('filter');
  if (/overlay|title|badge/i.test(entry)) kinds.add('title');
  if (/black-and-white|saturation|duotone|teal|tint|faded|gamma|brightness|s-curve|contrast|hue/i.test(entry.replace(/ImageMagick[^;]*/g, ''))) kinds.add('grade');
  return kinds.size === 0 ? 'crop-only' : kinds.size > 1 ? 'combined' : ([...kinds][0] as TransformFamily);
}

/** Per family: of the true partners of its images, the share predicted in the same lineage. */
function recallByFamily(truth: string[], predicted: string[], families: TransformFamily[]): Map<TransformFamily, { recall: number; images: number }> {
  const out = new Map<TransformFamily, { recall: number; images: number }>();
  for (const family of FAMILIES) {
    let found = 0;
    let partners = 0;
    let images = 0;
    truth.forEach((t, i) => {
      if (families[i] !== family) return;
      let mine = 0;
      truth.forEach((u, j) => {
        if (j === i || u !== t) return;
        mine++;
        if (predicted[j] === predicted[i]) found++;
      });
      partners += mine;
      if (mine > 0) images++;
    });
    out.set(family, { recall: partners > 0 ? found / partners : 1, images });
  }
  return out;
}

function row(name: string, threshold: string, s: PartitionScore, recall99: number): string {
  return [
    name.padEnd(28),
    threshold.padStart(9),
    s.precision.toFixed(4).padStart(7),
    s.recall.toFixed(4).padStart(7),
    s.f1.toFixed(4).padStart(7),
    s.bcubedPrecision.toFixed(4).padStart(7),
    s.bcubedRecall.toFixed(4).padStart(7),
    s.bcubedF1.toFixed(4).padStart(7),
    s.ari.toFixed(4).padStart(7),
    String(s.falseMergePairs).padStart(7),
    recall99.toFixed(4).padStart(9),
  ].join(' ');
}

const HEADER = [
  'method'.padEnd(28),
  'threshold'.padStart(9),
  'P'.padStart(7),
  'R'.padStart(7),
  'F1'.padStart(7),
  'B3 P'.padStart(7),
  'B3 R'.padStart(7),
  'B3 F1'.padStart(7),
  'ARI'.padStart(7),
  'merges'.padStart(7),
  'R@P>=.99'.padStart(9),
].join(' ');

/** Evaluates one folder with truth.json and transforms.json; prints its block. */
export async function evaluateFolder(dir: string, label: string, orders = DEFAULT_ORDERS): Promise<PartitionScore> {
  const truthMap = JSON.parse(await readFile(join(dir, 'truth.json'), 'utf8')) as Record<string, string>;
  const transforms = JSON.parse(await readFile(join(dir, 'transforms.json'), 'utf8')) as Record<string, string | { family: string }>;
  const files = Object.keys(truthMap).sort();
  const truth = files.map((f) => truthMap[f]!);
  const families = files.map((f) => transformFamily(transforms[f] ?? ''));

  let started = performance.now();
  const signatures = await signaturesOfFiles(dir, files);
  const signatureMs = (performance.now() - started) / files.length;
  const sizes = signatures.map((s) => encodeSignature(s).length);
  console.log(`\n== ${label}: ${files.length} images, ${new Set(truth).size} lineages`);
  console.log(
    `signature: ${signatureMs.toFixed(1)} ms per image with decode and text detection, ${(await computeOnlyMs(dir, files.slice(0, 40))).toFixed(1)} ms computeSignature alone (40 images); encoded size mean ${Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length)} bytes, max ${Math.max(...sizes)} bytes`,
  );

  const model = defaultModel();
  const artmeta = artmetaClustering(files, signatures);
  started = performance.now();
  const predicted = artmeta.at(model.threshold);
  const atModel = scorePartition(truth, predicted);
  const clusterMs = performance.now() - started;
  const artmetaPairs = artmeta.pairs();
  const artmetaSweep = sweep(truth, (t) => artmeta.at(t), [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, model.threshold].sort());

  const hashes = await Promise.all(files.map((f) => phashBits(join(dir, f))));
  const phashScores = pairScores(files.length, (i, j) => 64 - hamming64(hashes[i]!, hashes[j]!));
  const histogramScores = pairScores(files.length, (i, j) => histogramSimilarity(signatures[i]!.histogram, signatures[j]!.histogram));
  const grays = await Promise.all(files.map((f) => resizedGray(join(dir, f))));
  const ssimScores = pairScores(files.length, (i, j) => globalSsim(grays[i]!, grays[j]!));

  console.log(HEADER);
  console.log(row('artmeta (model threshold)', model.threshold.toFixed(3), atModel, artmetaSweep.recallAtPrecision99));
  for (const [name, scores, thresholdLabel] of [
    ['sharp-phash (64-bit)', phashScores, (t: number) => `ham<=${64 - t}`],
    ['HSV histogram only', histogramScores, (t: number) => t.toFixed(3)],
    ['SSIM only (64x64, unaligned)', ssimScores, (t: number) => t.toFixed(3)],
  ] as const) {
    const result = sweep(truth, (t) => components(files.length, scores, t), scoreThresholds(scores));
    console.log(row(name, thresholdLabel(result.best.threshold), result.best, result.recallAtPrecision99));
  }
  const byFamily = recallByFamily(truth, predicted, families);
  console.log(`artmeta recall per transform family: ${[...byFamily].map(([f, r]) => `${f} ${r.recall.toFixed(3)} (${r.images} images)`).join(', ')}`);
  console.log(
    `artmeta: clustering at the model threshold ${clusterMs.toFixed(0)} ms, ${artmetaPairs} verified pairs (${artmeta.msPerPair().toFixed(2)} ms per pair) instead of ${(files.length * (files.length - 1)) / 2} for all pairs; threshold sweep best pairwise F1 ${artmetaSweep.best.f1.toFixed(4)} at ${artmetaSweep.best.threshold}`,
  );
  if (orders > 0) console.log(`artmeta, ${summariseOrders(replayOrders(orders, signatures, truth, artmeta.pair))} (one image at a time, as the catalogue assigns)`);
  return atModel;
}

/** computeSignature alone (no decode, no text detection), mean ms per image. */
async function computeOnlyMs(dir: string, files: string[]): Promise<number> {
  let total = 0;
  for (const f of files) {
    const { pixels } = await decodeImage(join(dir, f));
    const started = performance.now();
    computeSignature(pixels);
    total += performance.now() - started;
  }
  return total / files.length;
}

/**
 * Random arrival orders replayed per folder besides `artmeta cluster`'s canonical order: the catalogue
 * assigns images as they arrive. 20: the orders eval:catalogue submits in.
 */
const DEFAULT_ORDERS = 20;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--orders');
  const orders = at >= 0 ? Number(args.splice(at, 2)[1]) : DEFAULT_ORDERS;
  const dataDir = args[0] ?? '../shared/data';
  const folders = (args[1] ?? 'lineages,lineages-hard').split(',');
  await loadOpenCV();
  for (const folder of folders) await evaluateFolder(folder.startsWith('/') || folder.startsWith('.') ? folder : join(dataDir, folder), folder, orders);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
