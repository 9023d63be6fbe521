/**
 * Fits the similarity index: an L2-regularised logistic regression over the four metrics of pairs of
 * images made by `npm run synth:lineages` (never the evaluation data, which is validation only), with class
 * weights (few pairs are positive). Pairs measured: every pair of images of one source photo (all
 * positives and the hard negatives: neighbouring regions, moment-later copies) and a seeded sample of
 * the other pairs. Reports 5-fold cross-validated figures with folds grouped by source photo — no pair
 * touching a test photo is trained on — and writes models/lineage-weights.json.
 *
 *   npm run fit:lineage -- [synth dir, default .scratch/synth-lineages] [--metrics-cache file.json]
 *
 * --metrics-cache keeps the measured metrics in a file and reuses them when it exists (delete it after
 * changing the signature or the metrics).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOpenCV } from '../analysis/opencv/runtime.ts';
import { signaturesOfFiles } from '../analysis/lineage/signature-files.ts';
import { MODEL_FEATURES, modelInputs, pairIndex, similarityMetrics, type SimilarityModel, type SimilarityReport } from '../analysis/lineage/similarity-index.ts';
import { takeValue } from './script-arguments.ts';

const FOLDS = 5;
const L2 = 0.01;
/** The clustering threshold is the lowest index whose out-of-fold precision reaches this. */
const TARGET_PRECISION = 0.999;

interface Sample {
  x: number[];
  metrics: Omit<SimilarityReport, 'index'>;
  y: number;
  /** Folds of the two images' lineages. */
  folds: [number, number];
}

const args = process.argv.slice(2);
const metricsCache = takeValue(args, '--metrics-cache');
const dir = args[0] ?? '.scratch/synth-lineages';
if (/shared\/data/.test(dir)) throw new Error('the shared data folder is the validation set: fit on `npm run synth:lineages` output');
const out = new URL('../models/lineage-weights.json', import.meta.url).pathname;
const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Record<string, string>;
const sourceOfLineage = JSON.parse(readFileSync(join(dir, 'lineages.json'), 'utf8')) as Record<string, { source: string }>;
const files = Object.keys(truth).sort();
const sourceOf = (file: string) => sourceOfLineage[truth[file]!]!.source;
const sourceNames = [...new Set(files.map(sourceOf))].sort();
const foldOf = new Map(sourceNames.map((s, i) => [s, i % FOLDS]));
/** Pairs of images of different photos measured: a seeded sample (almost all score nothing). */
const UNRELATED_PAIRS = 12_000;

const cached = metricsCache && existsSync(metricsCache) ? (JSON.parse(readFileSync(metricsCache, 'utf8')) as Sample[]) : undefined;
// The cache holds the raw metrics; model inputs are derived again so that changing them needs no re-measuring.
const samples = (cached ?? (await measurePairs())).map((s) => ({ ...s, x: modelInputs(s.metrics) }));
if (metricsCache && !cached) writeFileSync(metricsCache, JSON.stringify(samples));

const outOfFold: Array<{ p: number; y: number }> = [];
// Each pair is tested once, in the fold of its first lineage, by a model trained on no pair touching that
// fold; pairs across folds (where the hard negatives of two lineages from one photo usually land) count.
for (let fold = 0; fold < FOLDS; fold++) {
  const train = samples.filter((s) => s.folds[0] !== fold && s.folds[1] !== fold);
  const test = samples.filter((s) => Math.min(...s.folds) === fold);
  const model = fit(train);
  // pairIndex, as clustering scores a pair: the model, then the coherent-drift veto.
  for (const s of test) outOfFold.push({ p: pairIndex(model, s.metrics), y: s.y });
}
const threshold = chooseThreshold(outOfFold);
const cv = confusion(outOfFold, threshold);
const positives = samples.filter((s) => s.y === 1).length;
const model = {
  ...fit(samples),
  threshold,
  fitted: {
    script: 'scripts/fit-lineage-weights.ts',
    data: `npm run synth:lineages (${files.length} images of ${sourceNames.length} photos from Debian gcompris-qt-data and python-matplotlib-data; never the validation data)`,
    pairs: samples.length,
    positives,
    l2: L2,
    folds: FOLDS,
    crossValidated: cv,
  },
};
writeFileSync(out, `${JSON.stringify(model, null, 2)}\n`);
console.log(`pairs ${samples.length} (${positives} positive); weights ${model.weights.map((w) => w.toFixed(3)).join(' ')} bias ${model.bias.toFixed(3)}`);
console.log(`threshold ${threshold.toFixed(3)}; cross-validated pairwise precision ${cv.precision.toFixed(4)} recall ${cv.recall.toFixed(4)} F1 ${cv.f1.toFixed(4)} (fp ${cv.fp}, fn ${cv.fn})`);
console.log(`wrote ${out}`);

async function measurePairs(): Promise<Sample[]> {
  await loadOpenCV();
  const started = Date.now();
  const signatures = await signaturesOfFiles(dir, files);
  process.stderr.write(`signatures: ${files.length} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const measured: Sample[] = [];
  const unrelated = UNRELATED_PAIRS / ((files.length * (files.length - 1)) / 2);
  let seed = 0x1234567;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  for (let i = 0; i < files.length; i++) {
    for (let j = i + 1; j < files.length; j++) {
      const sameSource = sourceOf(files[i]!) === sourceOf(files[j]!);
      if (!sameSource && random() >= unrelated) continue;
      // The direction similarity() uses: lower content hash first.
      const [a, b] = signatures[i]!.contentHash < signatures[j]!.contentHash ? [signatures[i]!, signatures[j]!] : [signatures[j]!, signatures[i]!];
      const metrics = similarityMetrics(a, b);
      const y = truth[files[i]!] === truth[files[j]!] ? 1 : 0;
      measured.push({ x: [], metrics, y, folds: [foldOf.get(sourceOf(files[i]!))!, foldOf.get(sourceOf(files[j]!))!] });
    }
    if (i % 50 === 0) process.stderr.write(`pairs: row ${i}/${files.length}\n`);
  }
  return measured;
}

/** Newton's method on the class-weighted, L2-penalised log loss (few features: the Hessian is tiny). */
function fit(data: Sample[]): SimilarityModel {
  const d = MODEL_FEATURES.length + 1;
  const positives = data.filter((s) => s.y === 1).length;
  const weightOf = (y: number) => (y === 1 ? data.length / (2 * positives) : data.length / (2 * (data.length - positives)));
  const beta = new Array<number>(d).fill(0);
  for (let iter = 0; iter < 30; iter++) {
    const grad = new Array<number>(d).fill(0);
    const hess = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (const s of data) {
      const x = [...s.x, 1];
      const z = x.reduce((acc, v, k) => acc + v * beta[k]!, 0);
      const p = 1 / (1 + Math.exp(-z));
      const w = weightOf(s.y) / data.length;
      for (let a = 0; a < d; a++) {
        grad[a]! += w * (p - s.y) * x[a]!;
        for (let b = 0; b < d; b++) hess[a]![b]! += w * p * (1 - p) * x[a]! * x[b]!;
      }
    }
    for (let a = 0; a < d - 1; a++) {
      grad[a]! += L2 * beta[a]!;
      hess[a]![a]! += L2;
    }
    const step = solve(hess, grad);
    for (let a = 0; a < d; a++) beta[a]! -= step[a]!;
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  return { features: [...MODEL_FEATURES], weights: beta.slice(0, -1), bias: beta[d - 1]!, threshold: 0.5 };
}

function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

function chooseThreshold(predictions: Array<{ p: number; y: number }>): number {
  const candidates = [...new Set(predictions.map((s) => Math.round(s.p * 1000) / 1000))].sort((a, b) => a - b);
  for (const t of candidates) if (t >= 0.5 && confusion(predictions, t).precision >= TARGET_PRECISION) return t;
  return 0.5;
}

function confusion(predictions: Array<{ p: number; y: number }>, threshold: number) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const { p, y } of predictions) {
    if (p >= threshold && y === 1) tp++;
    else if (p >= threshold) fp++;
    else if (y === 1) fn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 1;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 1;
  return { tp, fp, fn, precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}
