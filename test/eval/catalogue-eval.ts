/**
 * Lineage quality through the catalogue in Redis against the in-process `artmeta cluster`, on
 * <data>/lineages and <data>/lineages-hard: the same signatures, assigned in a random order by two
 * workers at once (separate processes, each with its own Redis connection, against one real
 * redis-server), scored like the in-process clustering — pairwise precision/recall/F1 and B-cubed
 * precision/recall/F1 — for several random orders.
 *
 *   npm run eval:catalogue -- ../shared/data [orders, default 5]
 *
 * The in-process clustering adds the images largest first (its canonical order); the catalogue takes
 * them as they arrive. So each random order is also run in-process, one image at a time in that order
 * (LineageIndex.add) and through the catalogue by one worker: that pair must agree exactly (the Redis
 * index decides as the in-memory one does); two workers interleave their images, so their catalogue
 * sees a nearby order, not the same one; the in-process row vs the canonical one is what arrival order
 * costs. After each two-worker run the catalogue is rebuilt (`artmeta catalogue rebuild`, the periodic
 * canonicalisation), and scored again with how many ids the rebuild kept, dropped and moved.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { LineageIndex } from '../../analysis/lineage/lineage-clustering.ts';
import { lineageMatcher } from '../../analysis/lineage/lineage-matcher.ts';
import { decodeSignature, encodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { signaturesOfFiles } from '../../analysis/lineage/signature-files.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { CatalogueChecker } from '../../service/catalogue/catalogue-checker.ts';
import { CatalogueIndex } from '../../service/catalogue/catalogue-index.ts';
import { CatalogueRebuild } from '../../service/catalogue/catalogue-rebuild.ts';
import { ResultStore } from '../../service/store/result-store.ts';
import type { Analysis } from '../../analysis/analysis-schema.ts';
import { RedisServer } from '../support/redis-server.ts';
import { arrivalOrder } from '../support/synthetic-signatures.ts';
import { scorePartition, type PartitionScore } from './lineage-eval.ts';

type Scores = Pick<PartitionScore, 'precision' | 'recall' | 'f1' | 'bcubedPrecision' | 'bcubedRecall' | 'bcubedF1'>;

function scores(truth: string[], predicted: string[]): Scores {
  const { precision, recall, f1, bcubedPrecision, bcubedRecall, bcubedF1 } = scorePartition(truth, predicted);
  return { precision, recall, f1, bcubedPrecision, bcubedRecall, bcubedF1 };
}

/** One worker: assigns its share of the images (file of {id, signature}) and exits. */
async function runWorker(url: string, prefix: string, file: string): Promise<void> {
  await loadOpenCV();
  const images = JSON.parse(readFileSync(file, 'utf8')) as { id: string; signature: string }[];
  const redis = new Redis(url);
  const index = new CatalogueIndex(redis, prefix, lineageMatcher());
  for (const image of images) {
    const bytes = Buffer.from(image.signature, 'base64');
    await index.assign(image.id, decodeSignature(bytes), bytes);
  }
  await redis.quit();
}

function runWorkers(url: string, prefix: string, files: string[]): Promise<void[]> {
  return Promise.all(
    files.map(
      (file) =>
        new Promise<void>((resolve, reject) => {
          const child = fork(fileURLToPath(import.meta.url), ['--worker', url, prefix, file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
        }),
    ),
  );
}

function row(name: string, s: Scores): string {
  return [name.padEnd(28), ...[s.precision, s.recall, s.f1, s.bcubedPrecision, s.bcubedRecall, s.bcubedF1].map((v) => v.toFixed(4).padStart(9))].join(' ');
}

async function evaluateFolder(dir: string, orders: number, server: RedisServer, work: string): Promise<void> {
  const truthMap = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Record<string, string>;
  const files = Object.keys(truthMap).sort();
  const truth = files.map((f) => truthMap[f]!);
  const signatures = await signaturesOfFiles(dir, files);
  const inProcess = new LineageIndex().cluster(files.map((id, k) => ({ id, signature: signatures[k]! })));
  const reference = scores(truth, files.map((f) => inProcess.get(f)!));
  const header = ['', 'pair P', 'pair R', 'pair F1', 'B3 P', 'B3 R', 'B3 F1'].map((h, i) => (i === 0 ? 'method'.padEnd(28) : h.padStart(9))).join(' ');
  console.log(`\n${dir}: ${files.length} images, ${new Set(truth).size} lineages`);
  console.log(header);
  console.log(row('in-process artmeta cluster', reference));
  const encoded = signatures.map((s) => Buffer.from(encodeSignature(s)).toString('base64'));
  const redis = new Redis(server.url);
  const all: Scores[] = [];
  const sameOrders: Scores[] = [];
  const oneWorkerRuns: Scores[] = [];
  const rebuilt: Scores[] = [];
  for (let order = 0; order < orders; order++) {
    const shuffled = arrivalOrder(files.length, order);
    // Alternate images between the two workers, both starting at once.
    const shares = [0, 1].map((w) => {
      const path = join(work, `order-${order}-${w}.json`);
      writeFileSync(path, JSON.stringify(shuffled.filter((_, i) => i % 2 === w).map((k) => ({ id: files[k], signature: encoded[k] }))));
      return path;
    });
    const sequential = new LineageIndex();
    for (const k of shuffled) sequential.add(files[k]!, signatures[k]!);
    const sameOrder = scores(truth, files.map((f) => sequential.lineageOf(f)!));
    // One worker in exactly this order: must match the in-process row to the last digit.
    const alone = join(work, `order-${order}-alone.json`);
    writeFileSync(alone, JSON.stringify(shuffled.map((k) => ({ id: files[k], signature: encoded[k] }))));
    await runWorkers(server.url, `{eval-alone-${order}-${files.length}}`, [alone]);
    const aloneIndex = new CatalogueIndex(redis, `{eval-alone-${order}-${files.length}}`, lineageMatcher());
    const oneWorker = scores(truth, await Promise.all(files.map(async (f) => (await aloneIndex.lineageOf(f)) ?? `missing-${f}`)));
    const prefix = `{eval-${order}-${files.length}}`;
    await runWorkers(server.url, prefix, shares);
    const index = new CatalogueIndex(redis, prefix, lineageMatcher());
    const predicted = await Promise.all(files.map(async (f) => (await index.lineageOf(f)) ?? `missing-${f}`));
    const result = scores(truth, predicted);
    all.push(result);
    const check = await new CatalogueChecker(redis, prefix, lineageMatcher().tables).check();
    sameOrders.push(sameOrder);
    console.log(row(`in-process, order ${order + 1}`, sameOrder));
    console.log(row(`catalogue 1 worker, order ${order + 1}`, oneWorker));
    oneWorkerRuns.push(oneWorker);
    console.log(row(`catalogue, order ${order + 1}`, result) + (check.problems.length > 0 ? `  CHECK: ${check.problems.length} problems` : ''));
    // Periodic canonicalisation: `artmeta catalogue rebuild` (canonical order, ids kept where members are
    // unchanged, else the id of the old lineage sharing most members) over the stored signatures.
    const store = new ResultStore(redis, prefix);
    for (const [k, f] of files.entries()) await store.save(f, { stub: f } as unknown as Analysis, encoded[k]);
    const report = await new CatalogueRebuild(redis, prefix, store, lineageMatcher()).run();
    const afterRebuild = scores(truth, await Promise.all(files.map(async (f) => (await index.lineageOf(f)) ?? `missing-${f}`)));
    rebuilt.push(afterRebuild);
    console.log(
      row(`  then rebuilt, order ${order + 1}`, afterRebuild) +
        `  (${report.unchanged} lineages unchanged, ${report.keptChanged} kept their id with other members, ${report.goneIds.length} ids gone, ${report.newIds.length} new; ${report.moved.length} images moved)`,
    );
  }
  const keys = Object.keys(reference) as (keyof Scores)[];
  const mean = (list: Scores[]) => Object.fromEntries(keys.map((k) => [k, list.reduce((a, s) => a + s[k], 0) / list.length])) as unknown as Scores;
  console.log(row(`in-process, mean of ${orders} orders`, mean(sameOrders)));
  console.log(row(`catalogue, mean of ${orders} orders`, mean(all)));
  const largest = (a: Scores[], b: (k: number) => Scores) => Math.max(...a.flatMap((s, i) => keys.map((k) => Math.abs(s[k] - b(i)[k]))));
  console.log(`largest difference, catalogue vs in-process canonical, over every order and figure: ${largest(all, () => reference).toFixed(4)} (target ≤ 0.005)`);
  console.log(`largest difference, catalogue with 1 worker vs in-process in the same order: ${largest(oneWorkerRuns, (i) => sameOrders[i]!).toFixed(4)}`);
  console.log(`largest difference, catalogue with 2 workers vs in-process in the same order: ${largest(all, (i) => sameOrders[i]!).toFixed(4)}`);
  console.log(`largest difference, catalogue after a rebuild vs in-process canonical: ${largest(rebuilt, () => reference).toFixed(4)}`);
  await redis.quit();
}

async function main(): Promise<void> {
  const dataDir = process.argv[2] ?? '../shared/data';
  const orders = Number(process.argv[3] ?? 5);
  await loadOpenCV();
  const server = await RedisServer.start();
  const work = mkdtempSync(join(tmpdir(), 'artmeta-catalogue-eval-'));
  try {
    for (const folder of ['lineages', 'lineages-hard']) await evaluateFolder(join(dataDir, folder), orders, server, work);
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--worker') {
  await runWorker(process.argv[3]!, process.argv[4]!, process.argv[5]!);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
