/**
 * Lineage clustering at catalogue scale: 10k, 30k and 100k signatures derived from the real
 * signatures of <data>/lineages, each size clustered in its own process (so peak memory is its own).
 *
 *   npm run bench:cluster -- ../shared/data [sizes, default 10000,30000,100000] [--threads n] [--compare]
 *
 * --threads: verification threads of ParallelClustering (default one per core; 0 = LineageIndex.add on
 * the main thread alone). --compare: each size also with 0 threads, in the same run, and the ratio.
 *
 * Synthetic lineage j copies one real lineage and XORs every descriptor with its own random 256-bit
 * mask (plus 2% bit noise and half-pixel keypoint jitter per member): inside a synthetic lineage the
 * geometry and Hamming distances of the real derivatives are kept, while descriptors of two synthetic
 * lineages are unrelated — many distinct backgrounds, all sharing the colours and thumbnails of a few
 * real ones, which is the hard case for colour-based methods. No image is decoded in the timed part.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { LineageIndex } from '../../analysis/lineage/lineage-clustering.ts';
import { ParallelClustering } from '../../analysis/lineage/parallel-clustering.ts';
import { decodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { similarity } from '../../analysis/lineage/similarity-index.ts';
import { VerificationPool } from '../../service/threads/verification-pool.ts';
import { scorePartition } from '../eval/lineage-eval.ts';
import { growthExponent } from '../support/growth-exponent.ts';
import { realLineageGroups, syntheticCatalogue } from '../support/synthetic-signatures.ts';

interface BaseSet {
  /** Encoded signatures (base64) grouped by true lineage. */
  groups: string[][];
}

interface SizeResult {
  size: number;
  /** 0: LineageIndex.add on the main thread alone; n: ParallelClustering with n verification threads. */
  threads: number;
  seconds: number;
  cpuSeconds: number;
  /** CPU time of the main thread alone (look-ups, indexing, joins; everything with 0 threads). */
  mainCpuSeconds: number;
  peakRssMiB: number;
  verifiedPairs: number;
  msPerVerifiedPair: number;
  /** Parallel only: pairs verified on the threads, and pairs the join needed that they had not verified. */
  aheadPairs: number;
  missedPairs: number;
  lineages: number;
  precision: number;
  recall: number;
  falseMergePairs: number;
  /** Of every image's lineage id in arrival order: equal digests, equal decisions. */
  digest: string;
}

type Catalogue = Array<{ id: string; signature: ImageSignature; truth: number }>;

/**
 * The synthetic catalogue, streamed, with the time spent making it up taken out of the timed run's
 * wall and CPU time. The CPU time is measured on a pass of its own before the run (with verification
 * threads running, the process's CPU time during the run includes theirs).
 */
function* timedCatalogue(groups: ImageSignature[][], size: number, spent: { ms: number }): Generator<Catalogue[number]> {
  let n = 0;
  const items = syntheticCatalogue(groups, size);
  for (;;) {
    const started = performance.now();
    const next = items.next();
    spent.ms += performance.now() - started;
    if (next.done) return;
    yield { id: `img-${n++}`, ...next.value };
  }
}

/**
 * CPU seconds of the calling thread, from Linux's /proc/thread-self/stat (utime and stime, in clock
 * ticks of 1/100 s): process.cpuUsage counts every thread, and Node 20 has no per-thread figure.
 */
function threadCpuSeconds(): number {
  const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

async function runSize(basePath: string, size: number, threads: number): Promise<SizeResult> {
  await loadOpenCV();
  const base = JSON.parse(readFileSync(basePath, 'utf8')) as BaseSet;
  const groups = base.groups.map((g) => g.map((b) => decodeSignature(Buffer.from(b, 'base64'))));
  const generationCpu = process.cpuUsage();
  for (const item of syntheticCatalogue(groups, size)) void item;
  const generationCpuSeconds = cpuSecondsSince(generationCpu);

  const truth: string[] = [];
  const predicted: string[] = [];
  let peakRss = process.memoryUsage().rss;
  const record = (lineageId: string) => {
    predicted.push(lineageId);
    if (predicted.length % 500 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    // A long run says how far it got, so that one stopped early still gives a rate.
    if (size >= 50_000 && predicted.length % 10_000 === 0) {
      const wall = (performance.now() - started - generation.ms) / 1000;
      console.error(`  ${size} (threads ${threads}): ${predicted.length} assigned, ${wall.toFixed(1)} s, CPU ${(cpuSecondsSince(cpu) - (generationCpuSeconds * predicted.length) / size).toFixed(1)} s`);
    }
  };
  const generation = { ms: 0 };
  const catalogue = timedCatalogue(groups, size, generation);
  let verifyMs = 0;
  let index: LineageIndex;
  let ahead = { pairs: 0, missed: 0 };
  const pool = threads > 0 ? new VerificationPool({ threads }) : undefined;
  // Verification threads load their OpenCV before the clock starts.
  const session = pool?.session();
  if (session) await session.verify(groups[0]![0]!, [[0]], () => groups[0]![0]!);
  const cpu = process.cpuUsage();
  const mainCpu = threadCpuSeconds();
  const started = performance.now();
  if (pool && session) {
    const clustering = new ParallelClustering(session);
    await clustering.addAll(
      (function* () {
        for (const item of catalogue) {
          truth.push(String(item.truth));
          yield item;
        }
      })(),
      (_, lineageId) => record(lineageId),
    );
    index = clustering.index;
    ahead = { pairs: pool.verifiedPairs - 1, missed: clustering.missedPairs };
    verifyMs = pool.verifyMs;
  } else {
    index = new LineageIndex({
      similarity: (a, b) => {
        const begun = performance.now();
        const report = similarity(a, b);
        verifyMs += performance.now() - begun;
        return report;
      },
    });
    for (const item of catalogue) {
      truth.push(String(item.truth));
      record(index.add(item.id, item.signature));
    }
  }
  const seconds = (performance.now() - started - generation.ms) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu) - generationCpuSeconds;
  const mainCpuSeconds = threadCpuSeconds() - mainCpu - generationCpuSeconds;
  await pool?.close();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const score = scorePartition(truth, predicted);
  return {
    size,
    threads,
    seconds,
    cpuSeconds,
    mainCpuSeconds,
    peakRssMiB: peakRss / 2 ** 20,
    verifiedPairs: index.verifiedPairs,
    msPerVerifiedPair: verifyMs / Math.max(1, pool ? ahead.pairs : index.verifiedPairs),
    aheadPairs: ahead.pairs,
    missedPairs: ahead.missed,
    lineages: index.list().length,
    precision: score.precision,
    recall: score.recall,
    falseMergePairs: score.falseMergePairs,
    digest: createHash('sha256').update(predicted.join('\n')).digest('hex').slice(0, 12),
  };
}

function runInChild(basePath: string, size: number, threads: number): Promise<SizeResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', basePath, String(size), String(threads)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve(m as SizeResult));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`bench child for ${size} exited with ${code}`))));
  });
}

const COLUMNS: Array<[string, (r: SizeResult) => string]> = [
  ['signatures', (r) => String(r.size)],
  ['threads', (r) => String(r.threads)],
  ['time s', (r) => r.seconds.toFixed(1)],
  ['CPU s', (r) => r.cpuSeconds.toFixed(1)],
  ['main CPU s', (r) => r.mainCpuSeconds.toFixed(1)],
  ['peak RSS MiB', (r) => r.peakRssMiB.toFixed(0)],
  ['ms/signature', (r) => ((r.seconds * 1000) / r.size).toFixed(2)],
  ['verified', (r) => String(r.verifiedPairs)],
  ['ms/pair', (r) => r.msPerVerifiedPair.toFixed(2)],
  ['ahead', (r) => String(r.aheadPairs)],
  ['missed', (r) => String(r.missedPairs)],
  ['lineages', (r) => String(r.lineages)],
  ['precision', (r) => r.precision.toFixed(4)],
  ['recall', (r) => r.recall.toFixed(4)],
  ['false merges', (r) => String(r.falseMergePairs)],
  ['digest', (r) => r.digest],
];

function row(cells: string[]): string {
  return cells.map((c, k) => c.padStart(Math.max(COLUMNS[k]![0].length, k === cells.length - 1 ? 12 : 0))).join(' ');
}

async function main(): Promise<void> {
  const [dataDir = '../shared/data', sizeList = '10000,30000,100000', ...flags] = process.argv.slice(2);
  const sizes = sizeList.split(',').map(Number);
  const threadsFlag = flags.indexOf('--threads');
  const threads = threadsFlag >= 0 ? Number(flags[threadsFlag + 1]) : availableParallelism();
  const compare = flags.includes('--compare');
  const base = await realLineageGroups(join(dataDir, 'lineages'));
  const work = mkdtempSync(join(tmpdir(), 'artmeta-cluster-bench-'));
  const basePath = join(work, 'base.json');
  writeFileSync(basePath, JSON.stringify({ groups: base.groups } satisfies BaseSet));
  console.log(base.summary);
  console.log('threads 0: LineageIndex.add alone; n: ParallelClustering with n verification threads (ahead: pairs they verified, missed: pairs the join computed itself)');
  console.log(row(COLUMNS.map(([name]) => name)));
  const results: SizeResult[] = [];
  try {
    for (const size of sizes) {
      for (const t of compare ? [0, threads] : [threads]) {
        const r = await runInChild(basePath, size, t);
        results.push(r);
        console.log(row(COLUMNS.map(([, cell]) => cell(r))));
      }
      if (compare) {
        const [sequential, parallel] = results.slice(-2) as [SizeResult, SizeResult];
        console.log(
          `${size}: parallel/sequential wall ${(parallel.seconds / sequential.seconds).toFixed(3)}, CPU ${(parallel.cpuSeconds / sequential.cpuSeconds).toFixed(3)}, ` +
            `critical path max(main CPU, CPU / cores) ${(Math.max(parallel.mainCpuSeconds, parallel.cpuSeconds / availableParallelism()) / sequential.cpuSeconds).toFixed(3)} of sequential CPU; ` +
            `assignments ${parallel.digest === sequential.digest ? 'identical' : 'DIFFER'}`,
        );
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const timed = results.filter((r) => r.threads === threads);
  if (timed.length >= 2) {
    const slope = growthExponent(
      timed.map((r) => r.size),
      timed.map((r) => r.seconds),
    );
    console.log(`growth exponent (least-squares slope of log time vs log size, threads ${threads}): ${slope.toFixed(3)}`);
  }
}

if (process.argv[2] === '--child') {
  const result = await runSize(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
  process.send!(result, () => process.exit(0));
} else {
  await main();
}
