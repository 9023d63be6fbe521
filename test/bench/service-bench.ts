/**
 * `npm run bench:service -- ../shared/data`: the service's overhead, in one run against a real
 * redis-server:
 * - images/s through the queue (2 `artmeta worker` processes, one analysis each at a time) against
 *   the same images analysed in-process on a 2-thread pool (the same parallelism);
 * - crop-hint latency of `artmeta serve` (its own process) under concurrent load: known images
 *   (GET by hash, one Redis read), uploads of known images, and uploads analysed at once;
 * - render latency (`GET /render/…`, signed) of known images at 640 px wide, WebP and JPEG: the first
 *   request of each URL, cold (three `serve` processes that differ only in their render caches: none,
 *   decoded masters only, both), from a cached master, and warm (the picture cache), against
 *   the same request answered by a plain sharp resize of the same file (a bare node:http server in
 *   this process: read the file, resize, encode); the same on large photos (Debian's wallpapers,
 *   3640-3840 px, when installed), where the crop is 6× the output: a cold render decodes the source
 *   at ¼ (JPEG shrink-on-load), the others are cut from the image's master scaled to 2048 px.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { parseCanvasSpec } from '../../analysis/crop/canvas-spec.ts';
import { encoderOptions } from '../../api/render/crop-render.ts';
import { renderPath, type RenderFormat } from '../../api/render/render-url.ts';
import { loadConfig } from '../../service/config.ts';
import { contentHash } from '../../service/queue/job-id.ts';
import { ArtmetaQueues } from '../../service/queue/queues.ts';
import { connectRedis } from '../../service/queue/redis-connection.ts';
import { ResultStore } from '../../service/store/result-store.ts';
import { AnalysisPool } from '../../service/threads/analysis-pool.ts';
import { RedisServer, freePort } from '../support/redis-server.ts';

const dataDir = process.argv[2] ?? '../shared/data';
/** `--only render`: the render measurements alone (the known images analysed by their first render), for A/B runs of the render path. */
const renderOnly = process.argv.slice(3).join(' ') === '--only render';
const repo = new URL('../../', import.meta.url).pathname;
const WORKERS = 2;
const ROUNDS = 3;
const API_KEY = 'bench-key';
const KNOWN_ROUTE = 'route="/v1/images/:hash/crop-hints"';
const RENDER_KEY = 'bench-render-key-0123456789abcdef0123';
const RENDER_WIDTH = 640;
const LARGE_SOURCES = '/usr/share/backgrounds';
/** Requests per half on the large sources: each cold render decodes a 9-megapixel JPEG. */
const LARGE_PER_HALF = 100;
const LARGE_SOURCE_NAMES = ['2004default.jpg', 'firstgeneration.jpg', 'rhythm.jpg', 'string.jpg', 'the-mouse.jpg'];

const photosDir = join(dataDir, 'photos');
const names = (await readdir(photosDir)).filter((f) => f.endsWith('.jpg')).sort();
const photos = await Promise.all(names.map((f) => readFile(join(photosDir, f))));
const [warmUp, measured] = [photos.slice(0, 8), photos.slice(8, 48)];
const fresh = await Promise.all(photos.slice(48, 68).map((b) => sharp(b).jpeg({ quality: 89 }).toBuffer())); // unknown to the store

const redis = await RedisServer.start();
const env = {
  ARTMETA_REDIS_URL: redis.url,
  ARTMETA_PREFIX: '{bench}',
  ARTMETA_API_KEYS: API_KEY,
  ARTMETA_CONCURRENCY: '1',
  ARTMETA_ANALYSIS_THREADS: '1',
  ARTMETA_LOG_LEVEL: 'warn',
  // The render settings under study, from the bench's own environment when set (A/B runs of one build).
  ...Object.fromEntries(['ARTMETA_RENDER_WEBP_EFFORT', 'ARTMETA_RENDER_MASTER_MAX_SIDE'].flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : []))),
};
const config = loadConfig(env);
const children: ChildProcess[] = [];
/**
 * The load generator's HTTP client: node:http on kept-alive sockets. It shares the machine's cores
 * with the servers it measures, and costs a third of fetch's CPU per request (0.12 against 0.37 ms
 * for a 36 kB answer, measured alone), so less of the measured latency is the client's own work.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 16 });


try {
  const rounds = renderOnly ? [] : await measureQueue();
  // The last round's images are the known ones below.
  const knownImages = await Promise.all(measured.map((b) => sharp(b).jpeg({ quality: 90 - (ROUNDS - 1) }).toBuffer()));

  // Crop hints from `artmeta serve` in its own process; the known images also as files it may read for /render.
  const knownDir = await mkdtemp(join(tmpdir(), 'artmeta-bench-known-'));
  const knownFiles = await Promise.all(knownImages.map(async (bytes, i) => {
    const file = join(knownDir, `known-${i}.jpg`);
    await writeFile(file, bytes);
    return file;
  }));
  const warmFiles = await Promise.all(warmUp.map(async (bytes, i) => {
    const file = join(knownDir, `warm-${i}.jpg`);
    await writeFile(file, bytes);
    return file;
  }));
  const serveEnv = { ...env, ARTMETA_HOST: '127.0.0.1', ARTMETA_RENDER_KEY: RENDER_KEY, ARTMETA_PATH_ROOTS: knownDir };
  const cached = await startServe(serveEnv);
  const cropHints = renderOnly ? undefined : await measureCropHints(cached.base, knownImages);

  // Render of known images by three `serve` processes on the same Redis and files, differing only in
  // their render caches, and the same picture size from a plain sharp resize of the same file.
  const servers: Record<RenderServer, Serve> = {
    cached,
    // Pictures not kept, masters kept: every request is a render of a new key of an image decoded before.
    master: await startServe({ ...serveEnv, ARTMETA_RENDER_CACHE_BYTES: '0' }),
    // Nothing kept: every request decodes its source, as the first render of an image does.
    cold: await startServe({ ...serveEnv, ARTMETA_RENDER_CACHE_BYTES: '0', ARTMETA_RENDER_MASTER_BYTES: '0' }),
  };
  const largeFiles = await copyLargeSources(knownDir);
  const plain = await startPlainResizeServer([...knownFiles, ...largeFiles]);
  // JIT and connections of the cached server, on images the measured ones do not include.
  await load(4 * warmFiles.length, 4, (i) => send(`${cached.base}${renderUrl(basename(warmFiles[i % warmFiles.length]!), i % 2 ? 'webp' : 'jpeg')}`));
  const loadBefore = loadavg();
  const renderSet = async (names: string[], firstFile: number, perHalf: number) => {
    const results: RenderResult[] = [];
    for (const format of ['webp', 'jpeg'] as const) {
      const renderOne = (server: RenderServer) => (i: number) => send(`${servers[server].base}${renderUrl(names[i % names.length]!, format)}`);
      const plainOne = (i: number) => send(`${plain.url}/${firstFile + (i % names.length)}.${format}`);
      // Warm-up of the servers without a picture cache (and, for an image not yet known, its analysis).
      await load(perHalf / 5, 4, renderOne('cold'));
      await load(perHalf / 5, 4, renderOne('master'));
      await load(perHalf / 5, 4, plainOne);
      // The first request of each URL to the cached server: what a new picture costs there.
      const first = await load(names.length, 4, renderOne('cached'));
      // Alternating halves, so that load from other processes hits every side alike; CPU time of
      // the server processes too, which a loaded machine stretches far less than latency.
      const cpu: Record<RenderServer | 'client' | 'plain', number> = { cached: 0, master: 0, cold: 0, client: 0, plain: 0 };
      const halves: Record<RenderServer | 'plain', LoadResult[]> = { cached: [], master: [], cold: [], plain: [] };
      for (let half = 0; half < 2; half++) {
        for (const side of ['cold', 'master', 'cached', 'plain'] as const) {
          const server = side === 'plain' ? undefined : servers[side].process.pid;
          const [serverBefore, benchBefore] = [processCpuMs(server), process.cpuUsage()];
          halves[side].push(await load(perHalf, 4, side === 'plain' ? plainOne : renderOne(side)));
          const bench = process.cpuUsage(benchBefore);
          // The bench process is the load generator in every half, and the plain server in the plain ones.
          if (side === 'plain') cpu.plain += (bench.user + bench.system) / 1000;
          else {
            cpu.client += (bench.user + bench.system) / 1000 / 3;
            cpu[side] += processCpuMs(server) - serverBefore;
          }
        }
      }
      const requests = 2 * perHalf;
      const client = cpu.client / requests;
      // One request at a time, decoded now: what a cold render costs when it waits for nothing.
      const alone = await load(perHalf / 5, 1, renderOne('cold'));
      results.push({
        label: format === 'webp' ? 'WebP' : 'JPEG',
        first,
        cold: merge(halves.cold),
        master: merge(halves.master),
        warm: merge(halves.cached),
        plain: merge(halves.plain),
        alone,
        cpu: { cold: cpu.cold / requests, master: cpu.master / requests, warm: cpu.cached / requests, plain: cpu.plain / requests - client, client },
      });
    }
    return results;
  };
  const renders = await renderSet(knownFiles.map((_, i) => `known-${i}.jpg`), 0, 1_000);
  const largeRenders = largeFiles.length > 0 ? await renderSet(largeFiles.map((file) => basename(file)), knownFiles.length, LARGE_PER_HALF) : [];
  agent.destroy();
  await plain.close();
  await rm(knownDir, { recursive: true, force: true });

  if (!renderOnly) printQueue(rounds);
  if (cropHints) printCropHints(cropHints);
  console.log(`render latency: GET /render/… of known images (${knownFiles.length} photos), ${RENDER_WIDTH} px wide 16:9, 4 concurrent, client-side ms;`);
  console.log('  [x-render-cache answers]; CPU ms per request of the answering process (/proc), and of this process as the load generator');
  console.log('  first = first request of each URL to a serve with the default caches; cold = caches off, every request decodes its source;');
  console.log('  master = picture cache off, every request a new picture cut from the cached decoded image; warm = the same URLs again, default caches');
  console.log(`  WebP effort ${config.api.renderWebpEffort} (serve and the plain resize), masters of at most ${config.api.renderMasterMaxSide} px a side`);
  console.log(`  machine load average before rendering: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cores`);
  printRenders(renders);
  if (largeRenders.length > 0) {
    console.log(`large sources: ${largeFiles.length} Debian wallpapers from ${LARGE_SOURCES} (3640-3840×2400), the same requests:`);
    printRenders(largeRenders);
  }
  console.log(`  machine load average while measuring: ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cores`);
} finally {
  await Promise.all(children.map(stop));
  await redis.stop();
}

interface QueueRound {
  inProcess: number;
  queued: number;
}

/**
 * Images/s through the queue against in-process: alternating rounds, each on freshly re-encoded
 * copies (new hashes: nothing is cached), so that load from other processes on the machine hits
 * both sides alike. The last round's images are stored: the known images of the later measurements.
 */
async function measureQueue(): Promise<QueueRound[]> {
  for (let i = 0; i < WORKERS; i++) children.push(await launch('worker', env));
  const connection = connectRedis(config);
  const queues = new ArtmetaQueues(connection, config);
  const store = new ResultStore(connection, config.prefix);
  const submit = async (bytes: Buffer) => queues.submitAnalyze({ upload: await store.putUpload(bytes, 3600) });
  const pool = new AnalysisPool({ threads: WORKERS });
  // Warm-up on both sides before any timing: OpenCV's WASM is compiled in tiers in the background,
  // and that compilation must not land in the other side's measurement.
  await Promise.all(warmUp.map((b) => pool.analyzeWithSignature(b)));
  await waitFor(queues, await Promise.all(warmUp.map(submit)));
  const rounds: QueueRound[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const images = await Promise.all(measured.map((b) => sharp(b).jpeg({ quality: 90 - round }).toBuffer()));
    let start = performance.now();
    // The same work as a job: analysis and lineage signature.
    await Promise.all(images.map((b) => pool.analyzeWithSignature(b, { aspects: config.analysis.aspects, maxPixels: config.analysis.maxPixels })));
    const inProcess = images.length / ((performance.now() - start) / 1000);
    start = performance.now();
    await waitFor(queues, await Promise.all(images.map(submit)));
    rounds.push({ inProcess, queued: images.length / ((performance.now() - start) / 1000) });
  }
  await pool.close();
  await queues.close();
  await connection.quit();
  return rounds;
}

function printQueue(rounds: QueueRound[]): void {
  console.log(`service bench: ${measured.length} photos from ${photosDir}, ${WORKERS} workers × 1 analysis vs in-process pool of ${WORKERS} threads, ${ROUNDS} alternating rounds`);
  rounds.forEach((r, i) => console.log(`  round ${i + 1}: in-process ${r.inProcess.toFixed(2)} images/s, through the queue ${r.queued.toFixed(2)} images/s`));
  const inProcess = rounds.reduce((sum, r) => sum + r.inProcess, 0) / ROUNDS;
  const queued = rounds.reduce((sum, r) => sum + r.queued, 0) / ROUNDS;
  const overhead = 1 - queued / inProcess;
  console.log(`  mean: in-process ${inProcess.toFixed(2)} images/s, through the queue ${queued.toFixed(2)} images/s → queue overhead ${(overhead * 100).toFixed(1)}% (target ≤ 10%)`);
}

interface CropHintResults {
  known4: LoadResult;
  known16: LoadResult;
  uploadKnown: LoadResult;
  uploadNew: LoadResult;
  server: { le5ms: number; le10ms: number };
}

/** Crop-hint latency of `artmeta serve`: known images by hash, uploads of known images, uploads analysed at once. */
async function measureCropHints(base: string, knownImages: Buffer<ArrayBuffer>[]): Promise<CropHintResults> {
  const headers = { 'x-api-key': API_KEY };
  const hashes = knownImages.map(contentHash);
  const getKnown = (i: number) => send(`${base}/v1/images/${hashes[i % hashes.length]}/crop-hints?aspect=16:9,1:1,1280x720`, { headers });
  await load(500, 4, getKnown); // warm-up: JIT, connection pool
  const before = await serverBuckets(base);
  const known4 = await load(4_000, 4, getKnown);
  const known16 = await load(4_000, 16, getKnown);
  const server = serverShare(before, await serverBuckets(base));
  const uploadKnown = await load(400, 4, (i) =>
    send(`${base}/v1/crop-hints?aspect=16:9,1:1`, { method: 'POST', headers: { ...headers, 'content-type': 'image/jpeg' }, body: knownImages[i % knownImages.length]! }),
  );
  const uploadNew = await load(fresh.length, 2, (i) =>
    send(`${base}/v1/crop-hints?aspect=16:9,1:1`, { method: 'POST', headers: { ...headers, 'content-type': 'image/jpeg' }, body: fresh[i]! }),
  );
  return { known4, known16, uploadKnown, uploadNew, server };
}

function printCropHints({ known4, known16, uploadKnown, uploadNew, server }: CropHintResults): void {
  console.log('crop-hint latency (artmeta serve in its own process, client-side, ms):');
  for (const [label, r] of [
    ['known image, GET by hash (4 concurrent)', known4],
    ['known image, GET by hash (16 concurrent)', known16],
    ['upload of a known image (4 concurrent)', uploadKnown],
    ['upload analysed at once (2 concurrent)', uploadNew],
  ] as const) {
    console.log(`  ${label.padEnd(42)} n=${String(r.n).padEnd(5)} p50 ${r.p50.toFixed(2).padStart(7)}  p99 ${r.p99.toFixed(2).padStart(7)}  ${r.rps.toFixed(0)} req/s  errors ${r.errors}`);
  }
  console.log(`  target: known-image p99 ≤ 10 ms → ${known4.p99 <= 10 ? 'met' : 'NOT met'} at 4 concurrent, ${known16.p99 <= 10 ? 'met' : 'NOT met'} at 16`);
  console.log(
    `  server-side (Fastify elapsed time, /metrics histogram), the 8,000 known-image requests: ` +
      `${(server.le5ms * 100).toFixed(1)}% ≤ 5 ms, ${(server.le10ms * 100).toFixed(1)}% ≤ 10 ms`,
  );
}

type RenderServer = 'cached' | 'master' | 'cold';

interface Serve {
  base: string;
  process: ChildProcess;
}

interface RenderResult {
  label: string;
  first: LoadResult;
  cold: LoadResult;
  master: LoadResult;
  warm: LoadResult;
  plain: LoadResult;
  alone: LoadResult;
  /** CPU ms per request: `artmeta serve` cold, from a master, warm; the plain resize server; the load generator. */
  cpu: { cold: number; master: number; warm: number; plain: number; client: number };
}

function printRenders(results: RenderResult[]): void {
  const line = (label: string, r: LoadResult, cpu?: number) =>
    console.log(
      `  ${label.padEnd(34)} n=${String(r.n).padEnd(5)} p50 ${r.p50.toFixed(2).padStart(7)}  p99 ${r.p99.toFixed(2).padStart(7)}  ${r.rps.toFixed(0).padStart(4)} req/s  errors ${r.errors}` +
        `${cpu === undefined ? '' : `  CPU ${cpu.toFixed(2)} ms`}  [${[...r.states].map(([state, n]) => `${state} ${n}`).join(', ')}]`,
    );
  for (const { label, first, cold, master, warm, plain: baseline, alone, cpu } of results) {
    line(`render ${label} first request of each URL`, first);
    line(`render ${label} cold (decoded now)`, cold, cpu.cold);
    line(`render ${label} cold, one at a time`, alone);
    line(`render ${label} from the cached master`, master, cpu.master);
    line(`render ${label} warm (picture cache)`, warm, cpu.warm);
    line(`plain sharp resize ${label}`, baseline, cpu.plain);
    const ratios = (r: LoadResult) => `p50 ${(r.p50 / baseline.p50).toFixed(2)}× p99 ${(r.p99 / baseline.p99).toFixed(2)}×`;
    console.log(`  ${label} / plain resize: cold ${ratios(cold)}; master ${ratios(master)}; warm ${ratios(warm)}; CPU cold ${(cpu.cold / cpu.plain).toFixed(2)}× master ${(cpu.master / cpu.plain).toFixed(2)}× warm ${(cpu.warm / cpu.plain).toFixed(2)}×`);
    const met = (r: LoadResult) => (r.p99 <= 40 ? 'met' : 'NOT met');
    console.log(`  ${label} target p99 ≤ 40 ms at 4 concurrent: cold ${met(cold)}, master ${met(master)}, warm ${met(warm)}; load generator ${cpu.client.toFixed(2)} ms CPU per request`);
    // Little's law: 4 requests in flight, at most cores / (render + client CPU) answered per second.
    const floor = (serverCpu: number) => ((4 / availableParallelism()) * (serverCpu + cpu.client)).toFixed(1);
    console.log(`  ${label} mean latency floor at 4 concurrent on ${availableParallelism()} cores, even idle: cold ${floor(cpu.cold)} ms, master ${floor(cpu.master)} ms, warm ${floor(cpu.warm)} ms`);
  }
}

/**
 * Large photos, where a render's crop is many times its output (the JPEG shrink-on-load case): the
 * wallpapers of Debian's ukui-wallpapers package when installed (`apt-get install ukui-wallpapers`),
 * copied next to the known images. None when the package is absent.
 */
async function copyLargeSources(dir: string): Promise<string[]> {
  const names = await readdir(LARGE_SOURCES).catch(() => [] as string[]);
  const wanted = names.filter((name) => LARGE_SOURCE_NAMES.includes(name));
  return Promise.all(wanted.map(async (name) => {
    const file = join(dir, `large-${name}`);
    await copyFile(join(LARGE_SOURCES, name), file);
    return file;
  }));
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux; NaN elsewhere). */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in clock ticks of 10 ms.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

function renderUrl(name: string, format: RenderFormat): string {
  return renderPath({ source: { path: name }, canvas: parseCanvasSpec('16:9'), width: RENDER_WIDTH, format, enlarge: false }, RENDER_KEY);
}

/** The baseline for /render: read the file, resize it to the same width with sharp, encode as /render does; nothing else. */
async function startPlainResizeServer(files: string[]): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const match = /^\/(\d+)\.(webp|jpeg)$/.exec(request.url ?? '');
    const file = match ? files[Number(match[1])] : undefined;
    if (!match || !file) return response.writeHead(404).end();
    readFile(file)
      .then((bytes) => {
        const format = match[2] as 'webp' | 'jpeg';
        return sharp(bytes).resize({ width: RENDER_WIDTH, withoutEnlargement: true }).toFormat(format, encoderOptions(format, undefined, config.api.renderWebpEffort)).toBuffer();
      })
      .then(
        (picture) => response.writeHead(200, { 'content-type': `image/${match[2]}` }).end(picture),
        () => response.writeHead(500).end(),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Halves of one measurement: percentiles from all latencies. */
function merge(parts: LoadResult[]): LoadResult {
  const latencies = parts.flatMap((p) => p.latencies).sort((x, y) => x - y);
  const n = parts.reduce((sum, p) => sum + p.n, 0);
  const states = new Map<string, number>();
  for (const part of parts) for (const [state, count] of part.states) states.set(state, (states.get(state) ?? 0) + count);
  return {
    n,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    rps: n / parts.reduce((sum, p) => sum + p.n / p.rps, 0),
    errors: parts.reduce((sum, p) => sum + p.errors, 0),
    latencies,
    states,
  };
}

/** `artmeta serve` in its own process, answering. */
async function startServe(serveEnv: Record<string, string>): Promise<Serve> {
  const port = await freePort();
  const serve = await launch('serve', { ...serveEnv, ARTMETA_PORT: String(port) });
  children.push(serve);
  const base = `http://127.0.0.1:${port}`;
  while (!(await fetch(`${base}/readyz`).then((r) => r.ok, () => false))) await sleep(50);
  return { base, process: serve };
}

/** Starts `artmeta <command>`; a worker is awaited until it says it is ready. */
async function launch(command: 'worker' | 'serve', extraEnv: Record<string, string>): Promise<ChildProcess> {
  // The API logs at warn: per-request access logs would be part of what is measured.
  const level = command === 'worker' ? 'info' : 'warn';
  const child = spawn(process.execPath, [join(repo, 'bin/artmeta.js'), command], {
    env: { ...process.env, ...extraEnv, ARTMETA_LOG_LEVEL: level },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  if (command === 'serve') return child;
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${output}`)));
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function waitFor(queues: ArtmetaQueues, ids: string[]): Promise<void> {
  for (;;) {
    const states = await Promise.all(ids.map((id) => queues.analyze.getJobState(id)));
    if (states.includes('failed')) throw new Error('a bench job failed');
    if (states.every((s) => s === 'completed')) return;
    await sleep(10);
  }
}

/** Cumulative bucket counts of the known-image route from the API's own histogram. */
async function serverBuckets(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`, { headers: { 'x-api-key': API_KEY } })).text();
  const buckets = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^artmeta_http_request_duration_seconds_bucket\{(.*)\} (\d+)$/.exec(line);
    if (!match?.[1] || !match[1].includes(KNOWN_ROUTE)) continue;
    const le = /le="([^"]+)"/.exec(match[1])?.[1] ?? '';
    buckets.set(le, (buckets.get(le) ?? 0) + Number(match[2]));
  }
  return buckets;
}

function serverShare(before: Map<string, number>, after: Map<string, number>): { le5ms: number; le10ms: number } {
  const delta = (le: string) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  return { le5ms: delta('0.005') / delta('+Inf'), le10ms: delta('0.01') / delta('+Inf') };
}

interface LoadResult {
  n: number;
  p50: number;
  p99: number;
  rps: number;
  errors: number;
  /** Every request's latency, sorted. */
  latencies: number[];
  /** Answers by their x-render-cache header (render requests only). */
  states: Map<string, number>;
}

interface Answer {
  status: number;
  cache?: string;
}

/** One request; resolves when the whole answer has arrived. */
function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<Answer> {
  const { method = 'GET', headers = {}, body } = options;
  return new Promise((resolve, reject) => {
    const sent = httpRequest(url, { agent, method, headers: body ? { ...headers, 'content-length': String(body.length) } : headers }, (response) => {
      response.resume();
      const cache = response.headers['x-render-cache'];
      response.on('end', () => resolve({ status: response.statusCode ?? 0, ...(typeof cache === 'string' ? { cache } : {}) }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

/** `total` requests, `concurrency` in flight at any time; latency of each. */
async function load(total: number, concurrency: number, request: (i: number) => Promise<Answer>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const states = new Map<string, number>();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        const answer = await request(i);
        latencies.push(performance.now() - t);
        if (answer.status !== 200) errors++;
        if (answer.cache) states.set(answer.cache, (states.get(answer.cache) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { n: total, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), rps: total / seconds, errors, latencies, states };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
