/**
 * Lineage clustering at catalogue scale: 10k, 30k and 100k signatures derived from the real
 * signatures of <data>/lineages, each size clustered in its own process (so peak memory is its own).
 *
 *   npm run bench:cluster -- ../shared/data [sizes, default 10000,30000,100000]
 *
 * Synthetic lineage j copies one real lineage and XORs every descriptor with its own random 256-bit
 * mask (plus 2% bit noise and half-pixel keypoint jitter per member): inside a synthetic lineage the
 * geometry and Hamming distances of the real derivatives are kept, while descriptors of two synthetic
 * lineages are unrelated — many distinct backgrounds, all sharing the colours and thumbnails of a few
 * real ones, which is the hard case for colour-based methods. No image is decoded in the timed part.
 */
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { LineageIndex } from '../../analysis/lineage/lineage-clustering.ts';
import { decodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { similarity } from '../../analysis/lineage/similarity-index.ts';
import { scorePartition } from '../eval/lineage-eval.ts';
import { growthExponent } from '../support/growth-exponent.ts';
import { realLineageGroups, syntheticCatalogue } from '../support/synthetic-signatures.ts';

interface BaseSet {
  /** Encoded signatures (base64) grouped by true lineage. */
  groups: string[][];
}

interface SizeResult {
  size: number;
  seconds: number;
  peakRssMiB: number;
  verifiedPairs: number;
  msPerVerifiedPair: number;
  lineages: number;
  precision: number;
  recall: number;
  falseMergePairs: number;
}

async function runSize(basePath: string, size: number): Promise<SizeResult> {
  await loadOpenCV();
  const base = JSON.parse(readFileSync(basePath, 'utf8')) as BaseSet;
  const groups = base.groups.map((g) => g.map((b) => decodeSignature(Buffer.from(b, 'base64'))));
  let verifyMs = 0;
  const index = new LineageIndex({
    similarity: (a, b) => {
      const started = performance.now();
      const report = similarity(a, b);
      verifyMs += performance.now() - started;
      return report;
    },
  });
  const truth: string[] = [];
  const predicted: string[] = [];
  let peakRss = process.memoryUsage().rss;
  // Only adding is timed, not making up the synthetic signatures.
  let addMs = 0;
  let n = 0;
  for (const { signature, truth: t } of syntheticCatalogue(groups, size)) {
    const started = performance.now();
    predicted.push(index.add(`img-${n++}`, signature));
    addMs += performance.now() - started;
    truth.push(String(t));
    if (n % 500 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const seconds = addMs / 1000;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const score = scorePartition(truth, predicted);
  return {
    size,
    seconds,
    peakRssMiB: peakRss / 2 ** 20,
    verifiedPairs: index.verifiedPairs,
    msPerVerifiedPair: verifyMs / Math.max(1, index.verifiedPairs),
    lineages: index.list().length,
    precision: score.precision,
    recall: score.recall,
    falseMergePairs: score.falseMergePairs,
  };
}

function runInChild(basePath: string, size: number): Promise<SizeResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', basePath, String(size)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve(m as SizeResult));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`bench child for ${size} exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const dataDir = process.argv[2] ?? '../shared/data';
  const sizes = (process.argv[3] ?? '10000,30000,100000').split(',').map(Number);
  const base = await realLineageGroups(join(dataDir, 'lineages'));
  const work = mkdtempSync(join(tmpdir(), 'artmeta-cluster-bench-'));
  const basePath = join(work, 'base.json');
  writeFileSync(basePath, JSON.stringify({ groups: base.groups } satisfies BaseSet));
  console.log(base.summary);
  console.log(`${'signatures'.padStart(10)} ${'time s'.padStart(8)} ${'peak RSS MiB'.padStart(12)} ${'ms/signature'.padStart(12)} ${'verified'.padStart(9)} ${'ms/pair'.padStart(8)} ${'lineages'.padStart(8)} ${'precision'.padStart(9)} ${'recall'.padStart(7)} ${'false merges'.padStart(12)}`);
  const results: SizeResult[] = [];
  try {
    for (const size of sizes) {
      const r = await runInChild(basePath, size);
      results.push(r);
      console.log(
        `${String(r.size).padStart(10)} ${r.seconds.toFixed(1).padStart(8)} ${r.peakRssMiB.toFixed(0).padStart(12)} ${((r.seconds * 1000) / r.size).toFixed(2).padStart(12)} ${String(r.verifiedPairs).padStart(9)} ${r.msPerVerifiedPair.toFixed(2).padStart(8)} ${String(r.lineages).padStart(8)} ${r.precision.toFixed(4).padStart(9)} ${r.recall.toFixed(4).padStart(7)} ${String(r.falseMergePairs).padStart(12)}`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (results.length >= 2) {
    const slope = growthExponent(
      results.map((r) => r.size),
      results.map((r) => r.seconds),
    );
    console.log(`growth exponent (least-squares slope of log time vs log size): ${slope.toFixed(3)}`);
  }
}

if (process.argv[2] === '--child') {
  const result = await runSize(process.argv[3]!, Number(process.argv[4]));
  process.send!(result, () => process.exit(0));
} else {
  await main();
}
