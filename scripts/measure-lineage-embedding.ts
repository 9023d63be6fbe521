/**
 * Feasibility study: does a learned CNN feature separate the lineage pairs the index misses from the
 * hard negatives? Measured on `npm run synth:lineages` sets only (never the validation data), as a peer
 * of the committed index in the same run.
 *
 *   npm run measure:lineage-embedding -- --model <encoder.onnx> <synth dir>... [--side 320] [--cross 1000] [--reuse]
 *
 * The encoder is any ONNX network taking 1×H×W×4 NHWC RGB+1 in 0-255 and giving 1×C×h×w features
 * (the MobileNetV2 encoder of M-LSD, cut at block_12, in the study of BENCHMARKS.md). Each image is
 * resized to about side² pixels with its aspect kept, in colour and as rank-equalised grey replicated
 * to three channels (grades change colours; the grey rank keeps only order). Per pair:
 * - global: cosine of the mean-pooled, centred features;
 * - regional: mutual nearest cells (cosine of centred, normalised cell vectors) as a share of the
 *   smaller image's cells — overlap evidence that needs no keypoint to survive;
 * Pairs: every pair of images of one source photo (positives; hard negatives: time pairs and
 * neighbouring regions) and, of different photos, the hardest by global cosine and by HSV histogram
 * (same-colour photos) plus a seeded sample (--cross N of each). The first directory chooses each
 * score's threshold (the lowest with no negative at or above it); the others are held out. Each run
 * writes its pairs to <dir>/embedding-pairs.json; --reuse reports from those without measuring.
 * The encoder: `npx tsx scripts/cut-lineage-encoder.ts` on the package's mlsd_512x512_large.onnx.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { decodeImage } from '../analysis/image/decode-image.ts';
import { CandidateIndex } from '../analysis/lineage/candidate-index.ts';
import type { ImageSignature } from '../analysis/lineage/image-signature.ts';
import { LINEAGE_INDEX_DEFAULTS } from '../analysis/lineage/lineage-clustering.ts';
import { lineageSignature } from '../analysis/lineage/lineage-signature.ts';
import { decodeSignature, encodeSignature } from '../analysis/lineage/signature-codec.ts';
import { defaultModel, similarity } from '../analysis/lineage/similarity-index.ts';
import { loadOpenCV } from '../analysis/opencv/runtime.ts';
import { takeSwitch } from './script-arguments.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1]! : fallback;
};
const modelPath = option('--model', 'models/lineage-encoder.onnx');
/** --reuse: report from the pairs a previous run wrote to <dir>/embedding-pairs.json. */
const reuse = takeSwitch(args, '--reuse');
const side = Number(option('--side', '320'));
const dirs = args;
if (dirs.length === 0 || dirs.some((d) => /shared\/data/.test(d))) throw new Error('give synth:lineages directories (the shared data folder is validation only)');

const CELL = 16;
/** Pairs of different photos measured: the hardest by each criterion, and a seeded sample (--cross N: both). */
const crossOption = Number(option('--cross', '1000'));
const HARD_CROSS_PAIRS = crossOption;
const RANDOM_CROSS_PAIRS = crossOption;

interface Features {
  /** Centred later; per view: C×n cell vectors, L2-normalised, and the mean-pooled vector. */
  cells: Float32Array[];
  pooled: Float32Array[];
  n: number;
  grid: [number, number];
}

type Kind = 'positive' | 'time pair' | 'neighbouring regions' | 'different photos';
interface Pair {
  a: number;
  b: number;
  kind: Kind;
  families: string[];
  index: number;
  inliers: number;
  global: number[];
  regional: number[];
}
const VIEWS = ['colour', 'grey'] as const;

const session = reuse ? undefined : await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 3 });
if (!reuse) await loadOpenCV();
const thresholds: number[][] = [];
/** The combined model of `combined`, fitted on the first set. */
let comboModel: { w: number[]; t: number } | undefined;
for (const [d, dir] of dirs.entries()) await study(dir, d === 0);

async function study(dir: string, choose: boolean): Promise<void> {
  const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Record<string, string>;
  const lineages = JSON.parse(readFileSync(join(dir, 'lineages.json'), 'utf8')) as Record<string, { source: string; kind: string }>;
  const transforms = JSON.parse(readFileSync(join(dir, 'transforms.json'), 'utf8')) as Record<string, { family: string }>;
  const files = Object.keys(truth).sort();
  const dump = join(dir, 'embedding-pairs.json');
  if (reuse && existsSync(dump)) {
    const pairs = JSON.parse(readFileSync(dump, 'utf8')) as Pair[];
    report(dir, pairs, files.length, NaN, choose);
    combined(pairs, choose);
    return;
  }
  const signatures: ImageSignature[] = [];
  const features: Features[] = [];
  let networkMs = 0;
  for (const file of files) {
    const decoded = await decodeImage(join(dir, file));
    signatures.push(decodeSignature(encodeSignature(await lineageSignature(decoded.pixels))));
    const started = performance.now();
    features.push(await embed(decoded.pixels));
    networkMs += performance.now() - started;
    if (features.length % 50 === 0) process.stderr.write(`${dir}: ${features.length}/${files.length} images\n`);
  }
  centre(features);
  const sourceOf = (i: number) => lineages[truth[files[i]!]!]!.source;
  const kindOf = (i: number) => lineages[truth[files[i]!]!]!.kind;
  const pairs = new Map<string, Pair>();
  const addPair = (a: number, b: number) => {
    const key = `${Math.min(a, b)},${Math.max(a, b)}`;
    if (pairs.has(key)) return;
    const same = truth[files[a]!] === truth[files[b]!];
    const kind: Kind = same ? 'positive' : sourceOf(a) !== sourceOf(b) ? 'different photos' : kindOf(a).startsWith('time') ? 'time pair' : 'neighbouring regions';
    const [sa, sb] = signatures[a]!.contentHash < signatures[b]!.contentHash ? [signatures[a]!, signatures[b]!] : [signatures[b]!, signatures[a]!];
    const report = similarity(sa, sb);
    pairs.set(key, {
      a,
      b,
      kind,
      families: [transforms[files[a]!]!.family, transforms[files[b]!]!.family],
      index: report.index,
      inliers: report.features.inliers,
      global: VIEWS.map((_, v) => dot(features[a]!.pooled[v]!, features[b]!.pooled[v]!)),
      regional: VIEWS.map((_, v) => mutualShare(features[a]!, features[b]!, v)),
    });
    if (pairs.size % 500 === 0) process.stderr.write(`${dir}: ${pairs.size} pairs\n`);
  };
  const cross: Array<{ a: number; b: number; g: number; h: number }> = [];
  for (let a = 0; a < files.length; a++) {
    for (let b = a + 1; b < files.length; b++) {
      if (sourceOf(a) === sourceOf(b)) addPair(a, b);
      else cross.push({ a, b, g: Math.max(...VIEWS.map((_, v) => dot(features[a]!.pooled[v]!, features[b]!.pooled[v]!))), h: histogramOverlap(signatures[a]!, signatures[b]!) });
    }
  }
  for (const { a, b } of [...cross].sort((x, y) => y.g - x.g).slice(0, HARD_CROSS_PAIRS)) addPair(a, b);
  for (const { a, b } of [...cross].sort((x, y) => y.h - x.h).slice(0, HARD_CROSS_PAIRS)) addPair(a, b);
  let seed = 0x2545f491;
  for (let k = 0; k < RANDOM_CROSS_PAIRS; k++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const { a, b } = cross[seed % cross.length]!;
    addPair(a, b);
  }
  process.stderr.write(`${dir}: ${pairs.size} pairs measured\n`);
  writeFileSync(dump, JSON.stringify([...pairs.values()].map((p) => ({ ...p, a: files[p.a], b: files[p.b] }))));
  report(dir, [...pairs.values()], files.length, networkMs, choose);
  combined([...pairs.values()], choose);
  lookUp(files.map((f) => truth[f]!), signatures, features);
}

/**
 * Candidate look-up: for each image with a sibling, is one among its LINEAGE_INDEX_DEFAULTS.candidates
 * best-scored images with ≥ minVotes votes (the ORB hash buckets), or among its nearest by global cosine?
 */
function lookUp(lineageOf: string[], signatures: ImageSignature[], features: Features[]): void {
  const { candidates: limit, minVotes } = LINEAGE_INDEX_DEFAULTS;
  const index = new CandidateIndex();
  for (const s of signatures) index.add(s);
  const withSibling = lineageOf.map((_, i) => i).filter((i) => lineageOf.some((l, j) => j !== i && l === lineageOf[i]));
  const rows = VIEWS.map(() => ({ found: 0, onlyHere: 0 }));
  let orbFound = 0;
  for (const i of withSibling) {
    const orb = index.query(signatures[i]!, limit + 1, minVotes).filter((c) => c.slot !== i).slice(0, limit).some((c) => lineageOf[c.slot] === lineageOf[i]);
    if (orb) orbFound++;
    for (const [v, row] of rows.entries()) {
      const nearest = features.map((f, j) => ({ j, s: j === i ? -2 : dot(features[i]!.pooled[v]!, f.pooled[v]!) })).sort((x, y) => y.s - x.s).slice(0, limit);
      const found = nearest.some(({ j }) => lineageOf[j] === lineageOf[i]);
      if (found) row.found++;
      if (found && !orb) row.onlyHere++;
    }
  }
  console.log(`look-up, ${withSibling.length} images with a sibling, a sibling among the ${limit} best: ORB buckets ${orbFound} (${withSibling.length - orbFound} missed); ` +
    VIEWS.map((v, k) => `global cosine (${v}) ${rows[k]!.found}, of them ${rows[k]!.onlyHere} that ORB misses`).join('; '));
}

async function embed(image: { data: Uint8Array; width: number; height: number }): Promise<Features> {
  const scale = side / Math.sqrt(image.width * image.height);
  const w = Math.max(CELL * 2, Math.round((image.width * scale) / CELL) * CELL);
  const h = Math.max(CELL * 2, Math.round((image.height * scale) / CELL) * CELL);
  const rgb = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).resize(w, h, { fit: 'fill' }).raw().toBuffer();
  const views = [rgb, equalisedGrey(rgb)];
  const cells: Float32Array[] = [];
  const pooled: Float32Array[] = [];
  let grid: [number, number] = [0, 0];
  for (const pixels of views) {
    const input = new Float32Array(w * h * 4);
    for (let p = 0; p < w * h; p++) {
      input[p * 4] = pixels[p * 3]!;
      input[p * 4 + 1] = pixels[p * 3 + 1]!;
      input[p * 4 + 2] = pixels[p * 3 + 2]!;
      input[p * 4 + 3] = 1;
    }
    const out = await session!.run({ [session!.inputNames[0]!]: new ort.Tensor('float32', input, [1, h, w, 4]) });
    const t = out[session!.outputNames[0]!]!;
    const [, c, gh, gw] = t.dims as number[];
    const data = t.data as Float32Array;
    const n = gh! * gw!;
    grid = [gw!, gh!];
    // Cell-major copy: n vectors of c.
    const v = new Float32Array(n * c!);
    const mean = new Float32Array(c!);
    for (let k = 0; k < c!; k++) {
      for (let i = 0; i < n; i++) {
        const x = data[k * n + i]!;
        v[i * c! + k] = x;
        mean[k]! += x / n;
      }
    }
    cells.push(v);
    pooled.push(mean);
  }
  return { cells, pooled, n: grid[0] * grid[1], grid };
}

/** Grey by rank: each pixel's share of darker pixels, so a tone curve or a grade leaves it as it was. */
function equalisedGrey(rgb: Buffer): Buffer {
  const n = rgb.length / 3;
  const hist = new Float64Array(256);
  const grey = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    grey[p] = Math.round(0.299 * rgb[p * 3]! + 0.587 * rgb[p * 3 + 1]! + 0.114 * rgb[p * 3 + 2]!);
    hist[grey[p]!]!++;
  }
  const lut = new Uint8Array(256);
  let below = 0;
  for (let g = 0; g < 256; g++) {
    lut[g] = Math.round((255 * (below + hist[g]! / 2)) / n);
    below += hist[g]!;
  }
  const out = Buffer.alloc(n * 3);
  for (let p = 0; p < n; p++) out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = lut[grey[p]!]!;
  return out;
}

/** Subtracts the set's mean cell vector (the direction every picture shares) and normalises. */
function centre(all: Features[]): void {
  for (let v = 0; v < VIEWS.length; v++) {
    const c = all[0]!.pooled[v]!.length;
    const mean = new Float64Array(c);
    let count = 0;
    for (const f of all) {
      for (let i = 0; i < f.n; i++) for (let k = 0; k < c; k++) mean[k]! += f.cells[v]![i * c + k]!;
      count += f.n;
    }
    for (let k = 0; k < c; k++) mean[k]! /= count;
    for (const f of all) {
      for (let i = 0; i < f.n; i++) normalise(f.cells[v]!.subarray(i * c, (i + 1) * c), mean);
      normalise(f.pooled[v]!, mean);
    }
  }
}

function normalise(x: Float32Array, mean: Float64Array): void {
  let s = 0;
  for (let k = 0; k < x.length; k++) {
    x[k] = x[k]! - mean[k]!;
    s += x[k]! * x[k]!;
  }
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let k = 0; k < x.length; k++) x[k]! *= inv;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

/** Share of the smaller image's cells that are mutual nearest neighbours with cosine ≥ 0.5. */
function mutualShare(fa: Features, fb: Features, view: number): number {
  const a = fa.cells[view]!;
  const b = fb.cells[view]!;
  const c = fa.pooled[view]!.length;
  const bestOfA = new Int32Array(fa.n).fill(-1);
  const simOfA = new Float32Array(fa.n).fill(-2);
  const bestOfB = new Int32Array(fb.n).fill(-1);
  const simOfB = new Float32Array(fb.n).fill(-2);
  for (let i = 0; i < fa.n; i++) {
    const ai = a.subarray(i * c, (i + 1) * c);
    for (let j = 0; j < fb.n; j++) {
      const s = dot(ai, b.subarray(j * c, (j + 1) * c));
      if (s > simOfA[i]!) {
        simOfA[i] = s;
        bestOfA[i] = j;
      }
      if (s > simOfB[j]!) {
        simOfB[j] = s;
        bestOfB[j] = i;
      }
    }
  }
  let mutual = 0;
  for (let i = 0; i < fa.n; i++) if (bestOfB[bestOfA[i]!] === i && simOfA[i]! >= 0.5) mutual++;
  return mutual / Math.min(fa.n, fb.n);
}

function histogramOverlap(a: ImageSignature, b: ImageSignature): number {
  let s = 0;
  for (let k = 0; k < a.histogram.length; k++) s += Math.sqrt(a.histogram[k]! * b.histogram[k]!);
  return s;
}

function report(dir: string, pairs: Pair[], images: number, networkMs: number, choose: boolean): void {
  const model = defaultModel();
  const scores: Array<{ name: string; of: (p: Pair) => number }> = [
    { name: 'artmeta index', of: (p) => p.index },
    ...VIEWS.map((v, k) => ({ name: `global cosine (${v})`, of: (p: Pair) => p.global[k]! })),
    ...VIEWS.map((v, k) => ({ name: `regional mutual (${v})`, of: (p: Pair) => p.regional[k]! })),
  ];
  const positives = pairs.filter((p) => p.kind === 'positive');
  const missed = positives.filter((p) => p.index < model.threshold);
  console.log(`== ${dir}: ${images} images, network ${(networkMs / images / 2).toFixed(1)} ms per view; pairs ${pairs.length}: ${positives.length} positive (${missed.length} below the index threshold ${model.threshold}), ` +
    (['time pair', 'neighbouring regions', 'different photos'] as const).map((k) => `${pairs.filter((p) => p.kind === k).length} ${k}`).join(', '));
  const families = [...new Set(positives.flatMap((p) => p.families))].sort();
  console.log(['score', 'max time', 'max neighb', 'max diff', 'threshold', 'R@0FP', 'FP', 'missed won', ...families].map((s, i) => (i === 0 ? s.padEnd(26) : s.padStart(10))).join(''));
  for (const [k, s] of scores.entries()) {
    const maxOf = (kind: Kind) => Math.max(-1, ...pairs.filter((p) => p.kind === kind).map(s.of));
    const lowestClear = Math.max(maxOf('time pair'), maxOf('neighbouring regions'), maxOf('different photos')) + 1e-6;
    if (choose) thresholds[k] = [lowestClear];
    const t = k === 0 ? model.threshold : thresholds[k]![0]!;
    const hit = (p: Pair) => s.of(p) >= t;
    const fp = pairs.filter((p) => p.kind !== 'positive' && hit(p)).length;
    const perFamily = families.map((f) => {
      const of = positives.filter((p) => p.families.includes(f));
      return (of.filter(hit).length / of.length).toFixed(3);
    });
    console.log([s.name.padEnd(26), ...[maxOf('time pair'), maxOf('neighbouring regions'), maxOf('different photos'), t, positives.filter(hit).length / positives.length].map((x) => x.toFixed(3).padStart(10)), String(fp).padStart(10), `${missed.filter(hit).length}/${missed.length}`.padStart(10), ...perFamily.map((x) => x.padStart(10))].join(''));
  }
  // The learned score as an extra way in: index ≥ its threshold, or the score ≥ the score's own threshold.
  for (const [k, s] of scores.entries()) {
    if (k === 0) continue;
    const t = thresholds[k]![0]!;
    const hit = (p: Pair) => p.index >= model.threshold || s.of(p) >= t;
    const fp = pairs.filter((p) => p.kind !== 'positive' && hit(p)).length;
    console.log(`index OR ${s.name}: R ${(positives.filter(hit).length / positives.length).toFixed(4)} (index alone ${((positives.length - missed.length) / positives.length).toFixed(4)}), false positives ${fp}`);
  }
  // Where the missed positives stand: their score against the highest hard negative.
  for (const [k, s] of scores.entries()) {
    if (k === 0) continue;
    const q = (xs: number[], f: number) => xs.sort((x, y) => x - y)[Math.floor(f * (xs.length - 1))] ?? NaN;
    const m = missed.map(s.of);
    const found = positives.filter((p) => p.index >= model.threshold).map(s.of);
    console.log(`${s.name}: missed positives median ${q(m, 0.5).toFixed(3)} p90 ${q(m, 0.9).toFixed(3)}; found positives median ${q(found, 0.5).toFixed(3)} p10 ${q(found, 0.1).toFixed(3)}`);
  }
}

/**
 * The index and the learned scores in one logistic model (class-weighted, fitted on the first set, in
 * sample): its threshold is the lowest with no negative of the first set at or above it.
 */
function combined(pairs: Pair[], choose: boolean): void {
  const x = (p: Pair) => [logit(p.index), ...p.global, ...p.regional, 1];
  const y = (p: Pair) => (p.kind === 'positive' ? 1 : 0);
  if (choose) {
    const positives = pairs.filter((p) => y(p) === 1).length;
    const w = new Array<number>(x(pairs[0]!).length).fill(0);
    for (let iter = 0; iter < 3000; iter++) {
      const grad = new Array<number>(w.length).fill(0);
      for (const p of pairs) {
        const xi = x(p);
        const z = xi.reduce((acc, v, k) => acc + v * w[k]!, 0);
        const weight = y(p) === 1 ? pairs.length / (2 * positives) : pairs.length / (2 * (pairs.length - positives));
        const e = (1 / (1 + Math.exp(-z)) - y(p)) * weight;
        for (let k = 0; k < w.length; k++) grad[k]! += (e * xi[k]!) / pairs.length;
      }
      for (let k = 0; k < w.length; k++) w[k]! -= 0.5 * (grad[k]! + (k < w.length - 1 ? 0.001 * w[k]! : 0));
    }
    const score = (p: Pair) => x(p).reduce((acc, v, k) => acc + v * w[k]!, 0);
    comboModel = { w, t: Math.max(...pairs.filter((p) => y(p) === 0).map(score)) + 1e-6 };
  }
  const { w, t } = comboModel!;
  const hit = (p: Pair) => x(p).reduce((acc, v, k) => acc + v * w[k]!, 0) >= t;
  const positives = pairs.filter((p) => y(p) === 1);
  const fpKinds = pairs.filter((p) => y(p) === 0 && hit(p)).map((p) => p.kind);
  console.log(`index + learned scores, one logistic model (weights ${w.map((v) => v.toFixed(2)).join(' ')}): R ${(positives.filter(hit).length / positives.length).toFixed(4)}, false positives ${fpKinds.length}${fpKinds.length ? ` (${fpKinds.join(', ')})` : ''}`);
}

function logit(p: number): number {
  const q = Math.min(1 - 1e-4, Math.max(1e-4, p));
  return Math.log(q / (1 - q));
}
