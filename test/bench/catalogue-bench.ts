/**
 * The catalogue-wide lineage index in Redis at scale: synthetic signatures (as bench:cluster makes
 * them from the real signatures of <data>/lineages) assigned through one real redis-server by several
 * worker processes at once.
 *
 *   npm run bench:catalogue -- ../shared/data [size, default 200000] [workers, default 2] [in flight per worker, default 2] [base cache file] [staged]
 *
 * Options after the positional ones: `--filled N` fills the index in bulk with the stream's first N images
 * first (buckets exactly as the look-up script writes them, one lineage per synthetic lineage with its
 * first image as root and only representative), then times the next `size` images through the real path:
 * the cost of an assignment at a catalogue of N images in minutes instead of a walk of hours;
 * `--cpu-prof DIR` runs the workers under `node --cpu-prof` (profiles written to DIR); `--aof` times the
 * assignments with the append-only file on (`appendonly yes`, `appendfsync everysec`, as docs/deployment.md
 * runs Redis; automatic rewrites off, so that what the assignments write to it is measured alone): Redis's
 * CPU then includes writing every command the scripts run to the file, and the run prints its bytes per assignment.
 *
 * `staged` replaces verification by the synthetic truth (a pair verifies when it is of one synthetic
 * lineage): the index then holds the true lineages and every Redis operation of a real run, without the
 * verification's CPU — a run to a larger size, for memory and Redis time only.
 *
 * The signatures are put into the result store first (as analysed images are before they are
 * assigned; the index reads representatives' signatures there), so that INFO used_memory before/after
 * the assignments measures the index alone.
 *
 * Prints assignments/s (wall clock, and with the making-up of synthetic signatures taken out), CPU time
 * per assignment of the workers and of redis-server (and the rate the 2 cores would carry at that), Redis's
 * time per assignment by command (INFO commandstats), Redis
 * memory per image of the index (INFO used_memory before/after, and the share of signatures copied into
 * the index), the result store's memory per image for comparison,
 * the time of every 10k as the catalogue grows, the growth exponent (least-squares slope of log
 * cumulative time against log size) and the extrapolation to 2 M images; then pairwise precision and
 * recall of the resulting lineages against the synthetic truth.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { LineageIndex } from '../../analysis/lineage/lineage-clustering.ts';
import { CANDIDATE_INDEX_DEFAULTS, REPEATED_KEY } from '../../analysis/lineage/candidate-index.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { lineageIdFor } from '../../analysis/lineage/lineage-id.ts';
import type { PairSimilarity } from '../../analysis/lineage/lineage-join.ts';
import { lineageMatcher } from '../../analysis/lineage/lineage-matcher.ts';
import { decodeSignature, encodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { similarity } from '../../analysis/lineage/similarity-index.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { CatalogueIndex } from '../../service/catalogue/catalogue-index.ts';
import { SLOT_BYTES } from '../../service/catalogue/catalogue-keys.ts';
import { CatalogueKeys } from '../../service/catalogue/catalogue-keys.ts';
import { STORED_SIGNATURE } from '../../service/store/result-store.ts';
import { scorePartition } from '../eval/lineage-eval.ts';
import { appendOnly, aofBytes } from '../support/append-only-file.ts';
import { growthExponent } from '../support/growth-exponent.ts';
import { RedisServer } from '../support/redis-server.ts';
import { realLineageGroups, syntheticCatalogue } from '../support/synthetic-signatures.ts';

const PREFIX = '{bench}';
const CHECKPOINT = 10_000;

/**
 * The index's redis-server as docs/deployment.md configures it: its heap on transparent huge pages
 * (jemalloc `thp:always`; Redis's own `disable-thp`, on by default, off). A look-up visits 1,600 random
 * fields of multi-million-field hashes, several cache misses each across a heap of gigabytes; with
 * 4 KiB pages each also walks the page tables. Measured (7 Dec 2026, loaded machine, the look-up
 * script alone on 4 × 4 M fields of ~39 bytes, two servers side by side): 8.4 / 7.6 → 5.5 / 4.2 ms of redis-server
 * CPU per look-up in two rounds; see BENCHMARKS.md for the whole assignment.
 */
const INDEX_REDIS = { args: ['--disable-thp', 'no'], env: { MALLOC_CONF: 'thp:always,metadata_thp:always' } } as const;

interface Progress {
  kind: 'progress';
  done: number;
  atMs: number;
  /** The worker's CPU time so far, the making-up of synthetic signatures taken out. */
  cpuMs: number;
}

interface Finished {
  kind: 'finished';
  done: number;
  assignMs: number;
  makeMs: number;
  /** CPU time of that making-up (on a loaded machine its wall time is much longer: taking that out of the CPU time undercounted the assignments). */
  makeCpuMs: number;
  /** CPU time of the worker process (user + system) from the start signal to the end. */
  cpuMs: number;
  attempts: number;
  created: number;
  /** Pair verifications (the similarity the join decision asks for). */
  verifications: number;
  /** Those of two images of different synthetic lineages (candidates by chance). */
  unrelated: number;
}

interface Ready {
  kind: 'ready';
}

/** Images between two progress lines: 10k, or the whole run when it is shorter. */
function checkpointOf(size: number): number {
  return Math.min(CHECKPOINT, size);
}

/** The image id of synthetic image `n`: its true lineage readable from it. */
function imageId(truth: number, n: number): string {
  return `${truth.toString(16).padStart(8, '0')}${n.toString(16).padStart(8, '0')}`.padEnd(64, '0');
}

/** The pair similarity of a `staged` run: the truth, readable from the synthetic content hashes (lineage number first). */
const sameSyntheticLineage: PairSimilarity = (a, b) => (a.contentHash.slice(0, 8) === b.contentHash.slice(0, 8) ? { index: 1, homography: [1, 0, 0, 0, 1, 0, 0, 0, 1] } : { index: 0 });

async function runWorker(url: string, basePath: string, size: number, workers: number, worker: number, inFlight: number, filled: number, staged: boolean): Promise<void> {
  await loadOpenCV();
  const groups = loadGroups(basePath);
  const redis = new Redis(url);
  let verifications = 0;
  let unrelated = 0;
  const verify: PairSimilarity = staged ? sameSyntheticLineage : (a, b) => similarity(a, b);
  // Counted, not timed: a CPU-time reading per verification cost more than a tenth of the worker's time (--cpu-prof).
  const counted: PairSimilarity = (a, b) => {
    verifications++;
    if (a.contentHash.slice(0, 8) !== b.contentHash.slice(0, 8)) unrelated++;
    return verify(a, b);
  };
  const index = new CatalogueIndex(redis, PREFIX, lineageMatcher({ similarity: counted }));
  const stream = syntheticCatalogue(groups, filled + size);
  for (let k = 0; k < filled; k++) stream.next();
  let n = filled;
  let done = 0;
  let assignMs = 0;
  let makeMs = 0;
  let makeCpuMs = 0;
  let attempts = 0;
  let created = 0;
  const share = checkpointOf(size) / workers;
  const startAt = await new Promise<number>((resolve) => {
    process.once('message', (m: { startAt: number }) => resolve(m.startAt));
    process.send!({ kind: 'ready' } satisfies Ready);
  });
  while (Date.now() < startAt) await new Promise((resolve) => setTimeout(resolve, 5));
  const cpuAtStart = process.cpuUsage();
  const next = () => {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    for (;;) {
      const item = stream.next();
      if (item.done) return undefined;
      const id = n++;
      if (id % workers !== worker) continue;
      const encoded = encodeSignature(item.value.signature);
      makeMs += performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      makeCpuMs += (cpu.user + cpu.system) / 1000;
      return { id: imageId(item.value.truth, id), signature: item.value.signature, encoded };
    }
  };
  const lane = async () => {
    for (let item = next(); item; item = next()) {
      const started = performance.now();
      const result = await index.assign(item.id, item.signature, item.encoded, true);
      assignMs += performance.now() - started;
      attempts += result.attempts;
      if (result.created) created++;
      if (++done % share === 0) {
        const cpu = process.cpuUsage(cpuAtStart);
        process.send!({ kind: 'progress', done, atMs: Date.now(), cpuMs: (cpu.user + cpu.system) / 1000 - makeCpuMs } satisfies Progress);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const cpu = process.cpuUsage(cpuAtStart);
  await redis.quit();
  process.send!({ kind: 'finished', done, assignMs, makeMs, makeCpuMs, cpuMs: (cpu.user + cpu.system) / 1000, attempts, created, verifications, unrelated } satisfies Finished, () => process.exit(0));
}

function usedMemory(info: string): number {
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** CPU seconds redis-server has used (all its threads, user + system). */
function redisCpuSeconds(info: string): number {
  return Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
}

async function main(): Promise<void> {
  const { values: options, positionals } = parseArgs({ allowPositionals: true, options: { filled: { type: 'string', default: '0' }, 'cpu-prof': { type: 'string' }, aof: { type: 'boolean', default: false } } });
  const dataDir = positionals[0] ?? '../shared/data';
  const size = Number(positionals[1] ?? 200_000);
  const workers = Number(positionals[2] ?? 2);
  const inFlight = Number(positionals[3] ?? 2);
  const cache = positionals[4];
  const staged = positionals[5] === 'staged';
  const filled = Number(options.filled);
  const checkpoint = checkpointOf(size);
  const work = mkdtempSync(join(tmpdir(), 'artmeta-catalogue-bench-'));
  let basePath = join(work, 'base.json');
  if (cache && existsSync(cache)) {
    basePath = cache;
    console.log(`base: the real signatures cached in ${cache}`);
  } else {
    const base = await realLineageGroups(join(dataDir, 'lineages'));
    console.log(base.summary);
    writeFileSync(cache ?? basePath, JSON.stringify(base.groups));
    if (cache) basePath = cache;
  }
  const server = await RedisServer.start(undefined, INDEX_REDIS.args, INDEX_REDIS.env);
  const redis = new Redis(server.url);
  try {
    const stored = await storeSignatures(redis, basePath, filled, size);
    console.log(`result store: ${stored.count} signatures, ${(stored.bytes / 2 ** 20).toFixed(1)} MiB (${(stored.bytes / stored.count).toFixed(0)} bytes per image; not counted below)`);
    const before = usedMemory(await redis.info('memory'));
    if (filled > 0) {
      const started = performance.now();
      const lineages = await fillIndex(redis, basePath, filled);
      console.log(`filled in bulk: ${filled} images in ${lineages} lineages (${((performance.now() - started) / 1000).toFixed(0)} s); timing the next ${size}`);
    }
    if (options.aof) await appendOnly(redis);
    const aofBefore = aofBytes(await redis.info('persistence'));
    const redisCpuBefore = redisCpuSeconds(await redis.info('cpu'));
    await redis.config('RESETSTAT');
    console.log(
      `${'images'.padStart(8)} ${'s for 10k'.padStart(9)} ${'cumulative s'.padStart(12)} ${'used_memory MiB'.padStart(15)} ${'bytes/image'.padStart(11)} ${'CPU ms/image: workers'.padStart(21)} ${'redis'.padStart(6)}`,
    );
    const progress: number[][] = Array.from({ length: workers }, () => []);
    const workerCpuAt: number[][] = Array.from({ length: workers }, () => []);
    /** Cumulative CPU ms (workers + redis-server) at each checkpoint: its growth is the work's, whatever the machine's load. */
    const cpuAt: number[] = [];
    const memoryAt: number[] = [];
    const finished: Finished[] = [];
    const children: ChildProcess[] = [];
    let startAt = Number.POSITIVE_INFINITY;
    let ready = 0;
    await Promise.all(
      Array.from(
        { length: workers },
        (_, k) =>
          new Promise<void>((resolve, reject) => {
            const profile = options['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', options['cpu-prof']] : [];
            const child = fork(fileURLToPath(import.meta.url), ['--worker', server.url, basePath, String(size), String(workers), String(k), String(inFlight), String(filled), staged ? 'staged' : ''], {
              stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
              execArgv: [...process.execArgv, ...profile],
            });
            children.push(child);
            child.on('message', (m: Progress | Finished | Ready) => {
              if (m.kind === 'ready') {
                // Every worker has loaded OpenCV and the base (and skipped the filled images) by then.
                if (++ready === workers) {
                  startAt = Date.now() + 100;
                  for (const c of children) c.send({ startAt });
                }
                return;
              }
              if (m.kind !== 'progress') return void finished.push(m);
              progress[k]!.push(m.atMs);
              workerCpuAt[k]!.push(m.cpuMs);
              const step = progress[k]!.length;
              // The last worker to reach a checkpoint reads the memory there and prints the line (partial runs still say something).
              if (progress.every((p) => p.length >= step)) {
                void Promise.all([redis.info('memory'), redis.info('cpu')]).then(([info, cpuInfo]) => {
                  const memory = usedMemory(info);
                  const workerCpu = workerCpuAt.reduce((a, w) => a + w[step - 1]!, 0);
                  cpuAt[step - 1] = workerCpu + (redisCpuSeconds(cpuInfo) - redisCpuBefore) * 1000;
                  const previousWorkerCpu = step > 1 ? workerCpuAt.reduce((a, w) => a + w[step - 2]!, 0) : 0;
                  const redisStep = cpuAt[step - 1]! - workerCpu - (step > 1 ? cpuAt[step - 2]! - previousWorkerCpu : 0);
                  memoryAt[step - 1] = memory;
                  const t = (Math.max(...progress.map((p) => p[step - 1]!)) - startAt) / 1000;
                  const previous = step > 1 ? (Math.max(...progress.map((p) => p[step - 2]!)) - startAt) / 1000 : 0;
                  const n = filled + step * checkpoint;
                  console.log(
                    `${String(n).padStart(8)} ${(t - previous).toFixed(1).padStart(9)} ${t.toFixed(1).padStart(12)} ${(memory / 2 ** 20).toFixed(1).padStart(15)} ${((memory - before) / n).toFixed(0).padStart(11)} ` +
                      `${((workerCpu - previousWorkerCpu) / checkpoint).toFixed(2).padStart(21)} ${(redisStep / checkpoint).toFixed(2).padStart(6)}`,
                  );
                });
              }
            });
            child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${k} exited with ${code}`))));
          }),
      ),
    );
    const wallSeconds = (Math.max(...progress.map((p) => p.at(-1) ?? startAt)) - startAt) / 1000;
    const after = usedMemory(await redis.info('memory'));
    const redisCpu = redisCpuSeconds(await redis.info('cpu')) - redisCpuBefore;
    const images = finished.reduce((a, f) => a + f.done, 0);
    const indexed = filled + images;
    const perImage = (after - before) / indexed;
    const signatureBytes = await representativeBytes(redis);
    const makeSeconds = Math.max(...finished.map((f) => f.makeMs)) / 1000;
    const attempts = finished.reduce((a, f) => a + f.attempts, 0);
    const created = finished.reduce((a, f) => a + f.created, 0);
    console.log(`${images} images by ${workers} workers (${inFlight} in flight each) in ${wallSeconds.toFixed(1)} s: ${(images / wallSeconds).toFixed(0)} assignments/s wall clock`);
    console.log(`  making up synthetic signatures took up to ${makeSeconds.toFixed(1)} s per worker; without it ${(images / (wallSeconds - makeSeconds)).toFixed(0)} assignments/s`);
    console.log(`  decisions per image ${(attempts / images).toFixed(3)} (waits for an older reservation and conflicts: ${attempts - images}); lineages created ${created}`);
    const verifications = finished.reduce((a, f) => a + f.verifications, 0);
    const unrelated = finished.reduce((a, f) => a + f.unrelated, 0);
    console.log(`  pair verifications per image ${(verifications / images).toFixed(2)}, of images of different synthetic lineages ${(unrelated / images).toFixed(2)}`);
    // CPU per assignment, not wall time: what the machine's other load does not change much, and what
    // bounds the rate when the 2 cores are the catalogue's alone.
    const workerCpuMs = finished.reduce((a, f) => a + f.cpuMs - f.makeCpuMs, 0) / images;
    const redisCpuMs = (redisCpu * 1000) / images;
    console.log(
      `  CPU per assignment: workers ${workerCpuMs.toFixed(2)} ms (node, making-up of signatures taken out), redis-server ${redisCpuMs.toFixed(2)} ms (INFO cpu; includes the progress INFO calls); ` +
        `the 2 cores alone would carry ${(2000 / (workerCpuMs + redisCpuMs)).toFixed(0)} assignments/s`,
    );
    console.log(`  Redis time per assignment by command (INFO commandstats; a script's time includes the commands it calls): ${commandTimes(await redis.info('commandstats'), images)}`);
    if (options.aof) console.log(`  append-only file: ${((aofBytes(await redis.info('persistence')) - aofBefore) / images).toFixed(0)} bytes written per assignment`);
    console.log(
      `Redis used_memory ${(before / 2 ** 20).toFixed(1)} MiB → ${(after / 2 ** 20).toFixed(1)} MiB: the index takes ${perImage.toFixed(0)} bytes per image, of which signatures copied into it ${(signatureBytes / indexed).toFixed(0)}`,
    );
    const parts = await indexBreakdown(redis);
    console.log(`  MEMORY USAGE per image: ${Object.entries(parts).map(([part, bytes]) => `${part} ${(bytes / indexed).toFixed(0)}`).join(', ')}`);
    const checkpoints: { n: number; t: number }[] = [];
    const steps = Math.min(...progress.map((p) => p.length));
    for (let j = 0; j < steps; j++) checkpoints.push({ n: filled + (j + 1) * checkpoint, t: (Math.max(...progress.map((p) => p[j]!)) - startAt) / 1000 });
    if (checkpoints.length >= 2) {
      const slope = growthExponent(
        checkpoints.map((c) => c.n),
        checkpoints.map((c) => c.t),
      );
      const last = checkpoints.at(-1)!;
      const hours = (last.t * (2e6 / last.n) ** slope) / 3600;
      // Buckets fill up as the catalogue grows (their fixed cost is paid early): what an image adds over
      // the second half of the run is what the next ones will cost.
      const half = Math.floor(checkpoints.length / 2) - 1;
      const marginal = half >= 0 && memoryAt[half] && memoryAt[checkpoints.length - 1] ? (memoryAt[checkpoints.length - 1]! - memoryAt[half]!) / ((checkpoints.length - 1 - half) * checkpoint) : perImage;
      // The index's bytes only: `after` includes the result store's signatures, which are not counted.
      const at2M = after - before + marginal * (2e6 - indexed);
      console.log(`growth exponent (least-squares slope of log cumulative time vs log size): ${slope.toFixed(3)}`);
      if (cpuAt.length === checkpoints.length) {
        const cpuSlope = growthExponent(
          checkpoints.map((c) => c.n),
          cpuAt,
        );
        console.log(`growth exponent of the CPU time (workers + redis-server, cumulative, vs log size): ${cpuSlope.toFixed(3)}`);
      }
      console.log(`memory an image added over the second half: ${marginal.toFixed(0)} bytes`);
      console.log(
        `extrapolated to 2 M images: ${hours.toFixed(1)} h of assignment with ${workers} workers on this machine; Redis ${(at2M / 2 ** 30).toFixed(1)} GiB = ${(at2M / 2e6).toFixed(0)} bytes per image`,
      );
    }
    if (staged) console.log('staged verification (the synthetic truth): no in-process reference');
    if (filled > 0) console.log('filled in bulk: no in-process reference');
    const reference = staged || filled > 0 ? Number.NaN : await inProcessRate(basePath, Math.min(images, 10_000));
    if (!Number.isNaN(reference)) console.log(
      `reference, same machine right after: in-process LineageIndex.add (bench:cluster's path, one thread, no Redis) ${reference.toFixed(0)} images/s over the first ${Math.min(images, 10_000)}; the catalogue ran at ${((images / wallSeconds / reference) * 100).toFixed(0)}% of that`,
    );
    const score = await partitionScore(redis);
    console.log(`lineages vs synthetic truth: pairwise precision ${score.precision.toFixed(4)}, recall ${score.recall.toFixed(4)}, false-merge pairs ${score.falseMergePairs}; partition digest ${score.digest}`);
  } finally {
    await redis.quit();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Microseconds per assignment of each command that took more than 1 µs per assignment, busiest first:
 * where Redis's time goes (evalsha = the scripts, with the HMGET/HSET they call counted again on their own lines).
 */
function commandTimes(info: string, images: number): string {
  return [...info.matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+)/g)]
    .map(([, name, calls, usec]) => ({ name: name!, calls: Number(calls) / images, usec: Number(usec) / images }))
    .filter((c) => c.usec > 1)
    .sort((a, b) => b.usec - a.usec)
    .map((c) => `${c.name} ${c.usec.toFixed(0)} µs (${c.calls.toFixed(1)} calls)`)
    .join(', ');
}

/** Images/s of the in-memory LineageIndex on the same synthetic stream: the machine's speed at this moment. */
async function inProcessRate(basePath: string, count: number): Promise<number> {
  await loadOpenCV();
  const groups = loadGroups(basePath);
  const index = new LineageIndex();
  let ms = 0;
  let n = 0;
  for (const { signature } of syntheticCatalogue(groups, count)) {
    const started = performance.now();
    index.add(`img-${n++}`, signature);
    ms += performance.now() - started;
  }
  return count / (ms / 1000);
}

/**
 * Puts the synthetic images' signatures into the result store (base64, as the service keeps it), in
 * the order the workers will assign them: every timed image's, and of the `filled` images only the
 * roots' (the only ones the index reads, fillIndex). Returns how many and the store's bytes (INFO used_memory difference).
 */
async function storeSignatures(redis: Redis, basePath: string, filled: number, size: number): Promise<{ count: number; bytes: number }> {
  const start = usedMemory(await redis.info('memory'));
  const keyPrefix = STORED_SIGNATURE.keyPrefix(PREFIX);
  const roots = new Set<number>();
  let pipeline = redis.pipeline();
  let n = 0;
  let count = 0;
  for (const { signature, truth } of syntheticCatalogue(loadGroups(basePath), filled + size)) {
    const id = imageId(truth, n);
    if (n++ < filled && roots.has(truth)) continue;
    roots.add(truth);
    pipeline.hset(`${keyPrefix}${id}`, STORED_SIGNATURE.field, Buffer.from(encodeSignature(signature)).toString('base64'));
    if (++count % 500 === 0) {
      await pipeline.exec();
      pipeline = redis.pipeline();
    }
  }
  await pipeline.exec();
  return { count, bytes: usedMemory(await redis.info('memory')) - start };
}

/**
 * Fills the index with the stream's first `filled` images as if each had been assigned in turn, without
 * the assignments' cost: every image's bucket entries exactly as the look-up script appends them (slots in
 * stream order, a bucket over the cap turned "F"), and one lineage per synthetic lineage, its first image
 * its root and only representative (a real walk splits a few and keeps up to four representatives).
 * Returns the number of lineages.
 */
async function fillIndex(redis: Redis, basePath: string, filled: number): Promise<number> {
  const matcher = lineageMatcher();
  const version = new CatalogueIndex(redis, PREFIX, matcher).version;
  const keys = new CatalogueKeys(PREFIX).of('0');
  const { indexedFeatures } = CANDIDATE_INDEX_DEFAULTS;
  const { maxBucketSize } = matcher.limits;
  // Every image's keys, table by table: keys[t][image * indexedFeatures + d] (counts[image] of them).
  const bucketKeys = Array.from({ length: matcher.tables }, () => new Int32Array(filled * indexedFeatures));
  const counts = new Uint16Array(filled);
  const lineageOf = new Uint32Array(filled);
  const numOf = new Map<number, number>();
  let pipeline = redis.pipeline();
  let n = 0;
  for (const { signature, truth } of syntheticCatalogue(loadGroups(basePath), filled)) {
    matcher.candidateKeys(signature).forEach((table, t) => {
      bucketKeys[t]!.set(table, n * indexedFeatures);
      counts[n] = table.length;
    });
    const id = imageId(truth, n);
    let num = numOf.get(truth);
    if (num === undefined) {
      numOf.set(truth, (num = numOf.size + 1));
      const lineageId = lineageIdFor(signature.contentHash);
      pipeline.hset(keys.lineage(num), 'id', lineageId, 'rev', '0', 'shape', JSON.stringify(matcher.startLineage(signature)), 'reps', id, 'slots', String(n));
      pipeline.hset(keys.ids, lineageId, String(num));
    }
    lineageOf[n] = num;
    pipeline.hincrby(keys.lineage(num), 'rev', 1);
    pipeline.sadd(keys.members(num), id);
    pipeline.hset(keys.images, id, `${n}:${num}`);
    if (++n % 500 === 0) {
      await pipeline.exec();
      pipeline = redis.pipeline();
    }
  }
  await pipeline.exec();
  const slots = Buffer.alloc(filled * 4);
  lineageOf.forEach((num, slot) => slots.writeUInt32LE(num, slot * 4));
  await redis.set(keys.slots, slots);
  await redis.hset(keys.meta, 'version', version, 'slots', String(filled), 'lineages', String(numOf.size));
  const field = Buffer.alloc(3);
  for (let t = 0; t < matcher.tables; t++) {
    // A counting sort by key keeps each bucket's slots in stream order, as the appends left them.
    const size = new Uint32Array(1 << CANDIDATE_INDEX_DEFAULTS.bitsPerKey);
    const table = bucketKeys[t]!;
    // (A repeated key, REPEATED_KEY, is in no bucket: the look-up script appends nothing for it.)
    const keyOf = (image: number, d: number) => table[image * indexedFeatures + d]!;
    for (let image = 0; image < filled; image++) for (let d = 0; d < counts[image]!; d++) if (keyOf(image, d) !== REPEATED_KEY) size[keyOf(image, d)]!++;
    const start = new Uint32Array(size.length + 1);
    for (let k = 0; k < size.length; k++) start[k + 1] = start[k]! + size[k]!;
    const next = start.slice(0, size.length);
    const entries = new Uint32Array(start[size.length]!);
    for (let image = 0; image < filled; image++) for (let d = 0; d < counts[image]!; d++) if (keyOf(image, d) !== REPEATED_KEY) entries[next[keyOf(image, d)]!++] = image;
    let args: (string | Buffer)[] = [];
    const flush = async () => {
      if (args.length > 0) pipeline.hset(keys.table(t), ...args);
      args = [];
      if (pipeline.length >= 50) {
        await pipeline.exec();
        pipeline = redis.pipeline();
      }
    };
    for (let key = 0; key < size.length; key++) {
      if (size[key] === 0) continue;
      field.writeUIntLE(key, 0, 3);
      let value: Buffer | string = 'F';
      if (size[key]! <= maxBucketSize) {
        value = Buffer.alloc(size[key]! * SLOT_BYTES);
        for (let e = 0; e < size[key]!; e++) value.writeUIntLE(entries[start[key]! + e]!, e * SLOT_BYTES, SLOT_BYTES);
      }
      args.push(Buffer.from(field), value);
      if (args.length >= 1000) await flush();
    }
    await flush();
  }
  await pipeline.exec();
  return numOf.size;
}

function loadGroups(basePath: string): ImageSignature[][] {
  return (JSON.parse(readFileSync(basePath, 'utf8')) as string[][]).map((g) => g.map((b) => decodeSignature(Buffer.from(b, 'base64'))));
}

/** Where the index's memory is (MEMORY USAGE, every field counted): its LSH tables, image entries, and lineages. */
async function indexBreakdown(redis: Redis): Promise<Record<string, number>> {
  const keys = new CatalogueKeys(PREFIX).of('0');
  const usage = async (key: string) => Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  let buckets = 0;
  for (let t = 0; t < lineageMatcher().tables; t++) buckets += await usage(keys.table(t));
  const entries = (await usage(keys.images)) + (await usage(keys.slots));
  const count = Number((await redis.hget(keys.meta, 'lineages')) ?? 0);
  let lineages = await usage(keys.ids);
  for (let first = 1; first <= count; first += 1000) {
    const pipeline = redis.pipeline();
    for (let num = first; num < Math.min(first + 1000, count + 1); num++) {
      pipeline.call('MEMORY', 'USAGE', keys.lineage(num), 'SAMPLES', '0');
      pipeline.call('MEMORY', 'USAGE', keys.members(num), 'SAMPLES', '0');
    }
    for (const [, bytes] of (await pipeline.exec()) ?? []) lineages += Number(bytes ?? 0);
  }
  return { 'LSH tables': buckets, 'image entries and slots': entries, 'lineage records, ids and member sets': lineages };
}

/** Bytes of the representatives' signatures copied into the index (none while the store holds them). */
async function representativeBytes(redis: Redis): Promise<number> {
  const keys = new CatalogueKeys(PREFIX).of('0');
  const count = Number((await redis.hget(keys.meta, 'lineages')) ?? 0);
  let bytes = 0;
  for (let first = 1; first <= count; first += 1000) {
    const nums = Array.from({ length: Math.min(1000, count - first + 1) }, (_, k) => first + k);
    const reps = await Promise.all(nums.map((num) => redis.hget(keys.lineage(num), 'reps')));
    const pipeline = redis.pipeline();
    nums.forEach((num, k) => (reps[k] ?? '').split(' ').filter(Boolean).forEach((rep) => pipeline.strlen(keys.signature(num, rep))));
    for (const [, length] of (await pipeline.exec()) ?? []) bytes += Number(length);
  }
  return bytes;
}

async function partitionScore(redis: Redis) {
  const keys = new CatalogueKeys(PREFIX).of('0');
  const lineageOf = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(keys.images, cursor, 'COUNT', 5000);
    for (let i = 0; i < flat.length; i += 2) lineageOf.set(flat[i]!, flat[i + 1]!.split(':')[1]!);
    cursor = next;
  } while (cursor !== '0');
  // The partition's digest: each image with the first image (by id) of its lineage, sorted — the same
  // for the same decisions whatever the lineages' numbers (deterministic with one worker, one in flight).
  const first = new Map<string, string>();
  for (const [image, num] of lineageOf) if (!first.has(num) || image < first.get(num)!) first.set(num, image);
  const lines = [...lineageOf].map(([image, num]) => `${image} ${first.get(num)!}`).sort();
  const digest = createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
  const score = scorePartition(
    [...lineageOf.keys()].map((image) => image.slice(0, 8)),
    [...lineageOf.values()],
  );
  return { ...score, digest };
}

if (process.argv[2] === '--worker') {
  const [url, basePath, size, workers, worker, inFlight, filled, staged] = process.argv.slice(3);
  await runWorker(url!, basePath!, Number(size), Number(workers), Number(worker), Number(inFlight), Number(filled), staged === 'staged');
} else {
  await main();
}
