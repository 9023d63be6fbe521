/**
 * `npm run demo:service [-- --keep] [--out DIR]`: the service path end to end on this machine, nothing to set up.
 * Starts Debian's redis-server on 127.0.0.1 (a free port, no persistence), one `artmeta worker` and
 * one `artmeta serve`, then drives the REST API as a client would: queues the bundled samples as
 * jobs, reads their crop hints, adds them to the lineage catalogue, and fetches a signed render of
 * each into DIR (default demo-out/). With `--keep` it leaves everything running (the API's /docs in a browser) until Ctrl-C.
 * Everything it starts is stopped when it ends, also on an error.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalyzeJobResult, ClusterJobResult } from '../service/queue/job-schema.ts';
import { freePort, RedisServer } from '../test/support/redis-server.ts';
import { takeSwitch, takeValue } from './script-arguments.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const samples = join(repo, 'samples');
const API_KEY = 'demo-api-key';
/** Any key of at least 32 characters signs render URLs; a demo's is public, a deployment's secret. */
const RENDER_KEY = 'demo-render-key-not-for-production-use';
/** How long the demo waits for a job (a first job loads the networks: a few seconds). */
const JOB_WAIT_MS = 120_000;
const POLL_MS = 250;

const args = process.argv.slice(2);
const keep = takeSwitch(args, '--keep');
const outDir = resolve(takeValue(args, '--out') ?? join(repo, 'demo-out'));
const children: ChildProcess[] = [];

function startArtmeta(command: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(repo, 'bin/artmeta.js'), command], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function api(base: string, path: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(`${base}${path}`, { ...init, headers: { 'x-api-key': API_KEY, 'content-type': 'application/json', ...init.headers } });
  const body: unknown = await response.json();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

async function waitReady(base: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error('artmeta serve did not become ready within 30 s');
}

interface JobView {
  state: string;
  result?: unknown;
  error?: { code: string; message: string };
}

async function waitJob(base: string, id: string): Promise<JobView> {
  const deadline = Date.now() + JOB_WAIT_MS;
  while (Date.now() < deadline) {
    const job = (await api(base, `/v1/jobs/${encodeURIComponent(id)}`)) as JobView;
    if (job.state === 'completed' || job.state === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`job ${id} not finished within ${JOB_WAIT_MS / 1000} s`);
}

function signRender(file: string, env: Record<string, string>): string {
  const run = spawnSync(process.execPath, [join(repo, 'bin/artmeta.js'), 'sign-url', file, '--canvas', '16:9', '--width', '640', '--format', 'webp'], {
    cwd: repo,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`artmeta sign-url: ${run.stderr}`);
  return run.stdout.trim();
}

async function demo(redis: RedisServer): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ARTMETA_REDIS_URL: redis.url,
    ARTMETA_HOST: '127.0.0.1',
    ARTMETA_PORT: String(port),
    ARTMETA_API_KEYS: API_KEY,
    ARTMETA_RENDER_KEY: RENDER_KEY,
    ARTMETA_PATH_ROOTS: samples,
    ARTMETA_LOG_LEVEL: 'warn',
  };
  startArtmeta('worker', env);
  startArtmeta('serve', env);
  await waitReady(base);
  console.log(`redis-server ${redis.url}, artmeta serve ${base} (API key ${API_KEY}), one artmeta worker`);

  const files = readdirSync(samples).filter((f) => /\.(jpe?g|png|webp)$/i.test(f));
  const queued = (await api(base, '/v1/jobs', {
    method: 'POST',
    body: JSON.stringify({ images: files.map((f) => ({ source: { path: f }, aspects: ['16:9', '1:1'] })) }),
  })) as { jobs: { id: string }[] };
  console.log(`\nPOST /v1/jobs: ${queued.jobs.length} analyze jobs queued`);
  const hashes: string[] = [];
  for (const [i, { id }] of queued.jobs.entries()) {
    const job = await waitJob(base, id);
    const result = job.result as AnalyzeJobResult | undefined;
    if (!result) throw new Error(`${files[i]}: job ${job.state}: ${JSON.stringify(job.error)}`);
    hashes.push(result.hash);
    const { focalPoint, method, crops } = result.analysis;
    console.log(`  ${files[i]}: ${JSON.stringify({ hash: `${result.hash.slice(0, 12)}…`, method, focalPoint, crops, lineage: result.lineage })}`);
  }

  const firstHash = hashes[0]!;
  const hints = await api(base, `/v1/images/${firstHash}/crop-hints?aspect=9:16,2:3`);
  console.log(`\nGET /v1/images/${firstHash.slice(0, 12)}…/crop-hints?aspect=9:16,2:3 (canvases derived from the stored analysis):`);
  console.log(' ', JSON.stringify(hints));

  const cluster = (await api(base, '/v1/clusters', { method: 'POST', body: JSON.stringify({ images: files.map((f) => ({ path: f })) }) })) as { id: string };
  const clustered = await waitJob(base, cluster.id);
  const lineages = (clustered.result as ClusterJobResult | undefined)?.lineages ?? [];
  console.log(`\nPOST /v1/clusters: ${clustered.state}, ${lineages.length} lineages for ${files.length} images`);

  mkdirSync(outDir, { recursive: true });
  console.log(`\nsigned renders (artmeta sign-url <file> --canvas 16:9 --width 640 --format webp), written to ${outDir}:`);
  for (const file of files) {
    const path = signRender(file, env);
    const response = await fetch(`${base}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const target = join(outDir, file.replace(/\.[^.]+$/, '.16x9.webp'));
    writeFileSync(target, bytes);
    console.log(`  ${file}: ${response.status} ${response.headers.get('content-type')} ${bytes.length} B`);
  }

  if (keep) {
    console.log(`\nrunning until Ctrl-C: ${base}/docs (OpenAPI, key ${API_KEY}), ${base}/admin/queues (bull-board)`);
    await stopSignal;
  }
}

async function stopChildren(): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

// Ctrl-C or a kill must not leave redis-server, the worker and serve behind; nor must a reader
// that stops early (`| head`): its EPIPE would end the process before the `finally` below.
const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
});
process.stdout.on('error', () => undefined);

const redis = await RedisServer.start();
let status = 0;
try {
  const stopped = await Promise.race([demo(redis).then(() => undefined), stopSignal]);
  if (stopped && !keep) status = 130;
} catch (e) {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  status = 1;
} finally {
  await stopChildren();
  await redis.stop();
}
process.exit(status);
