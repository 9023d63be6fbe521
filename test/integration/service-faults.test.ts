import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ArtmetaConfig } from '../../service/config.ts';
import { buildApp } from '../../api/app.ts';
import { connectAppDeps } from '../../api/app-deps.ts';
import { parseJobFailure } from '../../service/queue/job-failure.ts';
import { parseAnalyzeRequest } from '../../service/request/analyze-request.ts';
import { ArtmetaQueues } from '../../service/queue/queues.ts';
import { connectRedis, type RedisClient } from '../../service/queue/redis-connection.ts';
import { ResultStore } from '../../service/store/result-store.ts';
import { RedisServer } from '../support/redis-server.ts';
import { API_KEY, fixture, spawnArtmeta, spawnServe, spawnWorker, stopProcess, testConfig, testEnv } from './service-harness.ts';

/**
 * Worker processes (`artmeta worker`) against their own redis-server, which these tests kill and
 * restart: crashes of a worker, of Redis, and a flood of bad inputs must lose no job.
 */
describe('queue fault tolerance with worker processes', () => {
  let redis: RedisServer;
  let env: Record<string, string>;
  let config: ArtmetaConfig;
  let connection: RedisClient;
  let queues: ArtmetaQueues;
  let store: ResultStore;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  const setUp = async (extra: Record<string, string> = {}) => {
    env = testEnv(redis.url, { ARTMETA_LOCK_MS: '2000', ARTMETA_MAX_PIXELS: '4000000', ...extra });
    config = testConfig(env);
    connection = connectRedis(config);
    queues = new ArtmetaQueues(connection, config);
    store = new ResultStore(connection, config.prefix);
  };

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => stopProcess(w, 'SIGKILL')));
    await queues?.close();
    await connection?.quit().catch(() => undefined);
  });

  /** Distinct real images: a fixture resized to a different width each time. */
  const goodImage = async (i: number, longSide = 480): Promise<Buffer> =>
    sharp(await readFile(fixture(`service-${(i % 6) + 1}.jpg`)))
      .resize({ width: longSide - (i % 40), withoutEnlargement: false })
      .jpeg({ quality: 85 })
      .toBuffer();

  const submitUpload = async (bytes: Buffer): Promise<string> =>
    queues.submitAnalyze({ upload: await store.putUpload(bytes, 3600) });

  const waitForAll = async (ids: readonly string[], timeoutMs: number): Promise<Job[]> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(ids.map((id) => queues.analyze.getJobState(id)));
      if (states.every((s) => s === 'completed' || s === 'failed')) break;
      if (Date.now() > deadline) throw new Error(`unfinished after ${timeoutMs} ms: ${states.filter((s) => s !== 'completed' && s !== 'failed').length}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return Promise.all(ids.map(async (id) => (await queues.analyze.getJob(id)) as Job));
  };

  it('kill -9 of a worker mid-job: the job completes on another worker, none lost', async () => {
    await setUp();
    const first = await spawnWorker(env);
    workers.push(first);
    // Large enough that each analysis takes a while, so the kill lands mid-job.
    const ids = await Promise.all(Array.from({ length: 6 }, async (_, i) => submitUpload(await goodImage(i, 1600))));
    const deadline = Date.now() + 30_000;
    let active: Job[] = [];
    while (active.length === 0 && Date.now() < deadline) {
      active = await queues.analyze.getActive();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(active.length).toBe(1);
    const interrupted = active[0]!.id!;
    expect(await stopProcess(first, 'SIGKILL')).toBe(null);
    expect(await queues.analyze.getJobState(interrupted)).toBe('active');

    workers.push(await spawnWorker(env));
    const jobs = await waitForAll(ids, 90_000);
    expect(jobs.map((j) => j.finishedOn !== undefined && j.failedReason === undefined)).toEqual(ids.map(() => true));
    const recovered = jobs.find((j) => j.id === interrupted)!;
    expect(recovered.returnvalue.analysis.width).toBeGreaterThan(1000);
    // BullMQ counts the interrupted run: the job was started twice and finished once.
    expect(recovered.attemptsStarted).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('SIGTERM: the worker finishes its running job, then exits 0', async () => {
    // The shutdown deadline is not what this test is about (the Redis-outage test holds it): a first
    // job also warms OpenCV and ONNX up, which on a loaded machine took longer than the 8 s default.
    await setUp({ ARTMETA_SHUTDOWN_MS: '45000' });
    const worker = await spawnWorker(env);
    workers.push(worker);
    const id = await submitUpload(await goodImage(7, 1600));
    while ((await queues.analyze.getJobState(id)) !== 'active') await new Promise((r) => setTimeout(r, 20));
    expect(await stopProcess(worker, 'SIGTERM')).toBe(0);
    expect(await queues.analyze.getJobState(id)).toBe('completed');
  }, 60_000);

  it('Redis restarted during a run: workers reconnect and every job completes', async () => {
    await setUp();
    workers.push(await spawnWorker(env), await spawnWorker(env));
    const ids = await Promise.all(Array.from({ length: 16 }, async (_, i) => submitUpload(await goodImage(i))));
    const deadline = Date.now() + 30_000;
    while ((await queues.analyze.getCompletedCount()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const completedBefore = await queues.analyze.getCompletedCount();
    expect(completedBefore).toBeLessThan(ids.length);

    // A restart, not a wipe: Redis saves its data on the way down (production runs with AOF or RDB).
    const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await admin.connect();
    await admin.call('SHUTDOWN', 'SAVE').catch(() => undefined);
    admin.disconnect();
    await redis.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await redis.launch();

    const jobs = await waitForAll(ids, 90_000);
    const failed = jobs.filter((j) => j.failedReason !== undefined).map((j) => j.failedReason);
    expect(failed).toEqual([]);
    expect(jobs.every((j) => typeof j.returnvalue?.hash === 'string')).toBe(true);
    expect(workers.every((w) => w.exitCode === null)).toBe(true);
  }, 150_000);

  it('200 bad inputs mixed with good ones: each bad one fails with its code, every good one completes, workers stay alive', async () => {
    await setUp({ ARTMETA_CONCURRENCY: '2' });
    workers.push(await spawnWorker(env), await spawnWorker(env));
    const jpeg = await readFile(fixture('service-2.jpg'));
    const bad: { bytes: Buffer; code: string }[] = [{ bytes: Buffer.alloc(0), code: 'EMPTY_INPUT' }];
    for (let i = 0; i < 60; i++) bad.push({ bytes: Buffer.from(`not an image #${i}\n`.repeat(i + 1)), code: 'UNSUPPORTED_FORMAT' });
    for (let i = 0; i < 40; i++) bad.push({ bytes: Buffer.from(Array.from({ length: 300 + i }, (_, j) => (j * 7919 + i * 31) % 256)), code: 'UNSUPPORTED_FORMAT' });
    for (let i = 0; i < 60; i++) bad.push({ bytes: jpeg.subarray(0, 200 + i * 400), code: 'CORRUPT_IMAGE' });
    for (let i = 0; i < 39; i++) {
      const bomb = await sharp({ create: { width: 2100, height: 2000, channels: 3, background: { r: i, g: 2 * i, b: 100 } } }).png().toBuffer();
      bad.push({ bytes: bomb, code: 'PIXEL_LIMIT' });
    }
    expect(bad.length).toBe(200);
    const good = await Promise.all(Array.from({ length: 16 }, (_, i) => goodImage(i, 400)));
    // Interleaved, so bad and good jobs share the workers all along.
    const inputs = bad.map((b, i) => ({ ...b, good: false, index: i }));
    good.forEach((bytes, i) => inputs.splice(i * 13, 0, { bytes, code: '', good: true, index: i }));
    const ids = [];
    for (const input of inputs) ids.push(await submitUpload(input.bytes));
    expect(new Set(ids).size).toBe(inputs.length);

    const jobs = await waitForAll(ids, 120_000);
    const outcomes = jobs.map((job, i) => ({
      good: inputs[i]!.good,
      expected: inputs[i]!.code,
      code: job.failedReason === undefined ? 'OK' : parseJobFailure(job.failedReason).code,
      attempts: job.attemptsMade,
    }));
    expect(outcomes.filter((o) => o.good).every((o) => o.code === 'OK')).toBe(true);
    const badOutcomes = outcomes.filter((o) => !o.good);
    expect(badOutcomes.filter((o) => o.code !== o.expected)).toEqual([]);
    // Bad input is not retried.
    expect(badOutcomes.every((o) => o.attempts === 1)).toBe(true);
    expect(workers.every((w) => w.exitCode === null && w.signalCode === null)).toBe(true);

    const after = await submitUpload(await goodImage(99));
    const [last] = await waitForAll([after], 30_000);
    expect(last?.returnvalue.cached).toBe(false);
  }, 180_000);

  it('two jobs on one upload, and a finished job run again (as after a stall): none fails for want of the bytes', async () => {
    await setUp();
    workers.push(await spawnWorker(env));
    const bytes = await goodImage(3, 500);
    const upload = await store.putUpload(bytes, 3600);
    const ids = await Promise.all(['16:9', '1:1', '4:5'].map((aspect) => queues.submitAnalyze({ upload }, parseAnalyzeRequest({ aspects: [aspect] }, config.analysis.aspects))));
    const jobs = await waitForAll(ids, 60_000);
    expect(jobs.map((j) => j.failedReason)).toEqual(ids.map(() => undefined));
    // A stalled job whose completion never reached Redis runs again; here: a finished one re-run.
    await jobs[0]!.retry('completed');
    const [rerun] = await waitForAll([ids[0]!], 30_000);
    expect(rerun?.failedReason).toBeUndefined();
    expect(rerun?.returnvalue.hash).toBe(upload);
  }, 90_000);

  it('Redis outage: GET /v1/jobs/:id answers 503 at once, one JSON log line per lost and back, jobs taken again after, SIGTERM exits within 10 s (an idle worker 0)', async () => {
    await setUp();
    const worker = await spawnArtmeta('worker', env, /worker ready/);
    const serve = await spawnServe(env);
    workers.push(worker.child, serve.child);
    const readyLine = worker.output().split('\n').find((l) => l.includes('worker ready')) ?? '';
    expect(readyLine.match(/"pid"/g)?.length).toBe(1);
    const id = await submitUpload(await goodImage(11));
    // Finished before the outages, so the worker has no job in hand when it is stopped below.
    await waitForAll([id], 60_000);
    const jobState = () =>
      Promise.race([
        fetch(`${serve.address}/v1/jobs/${id}`, { headers: { 'x-api-key': API_KEY } }).then((r) => r.status),
        new Promise((resolve) => setTimeout(() => resolve('no answer in 3 s'), 3_000)),
      ]);
    expect(await jobState()).toBe(200);

    await redis.kill();
    expect(await jobState()).toBe(503);
    for (let i = 0; i < 3; i++) expect((await fetch(`${serve.address}/readyz`)).status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await redis.launch();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(worker.output().includes('redis connection back') && serve.output().includes('redis connection back'))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Answers again; this Redis keeps no data across a kill, so the job may be gone (404).
    expect([200, 404]).toContain(await jobState());
    for (const output of [worker.output(), serve.output()]) {
      const lines = output.split('\n').filter((l) => l.trim().length > 0);
      // Every line is a JSON log record: no raw stack traces.
      expect(lines.filter((l) => !l.startsWith('{'))).toEqual([]);
      const records = lines.map((l) => JSON.parse(l) as { msg?: string; level: number; err?: unknown });
      expect(records.filter((r) => r.msg === 'redis connection lost').length).toBe(1);
      expect(records.filter((r) => r.msg === 'redis connection back').length).toBe(1);
      expect(records.filter((r) => r.level >= 50)).toEqual([]);
    }
    // The worker takes jobs again after the outage, though Redis came back empty (its keys gone).
    const after = await submitUpload(await goodImage(12));
    const [resumed] = await waitForAll([after], 60_000);
    expect(resumed?.failedReason).toBeUndefined();

    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = Date.now();
    const codes = await Promise.all([stopProcess(worker.child, 'SIGTERM'), stopProcess(serve.child, 'SIGTERM')]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(codes.every((code) => code !== null)).toBe(true);
    // The worker had no job in hand: nothing was cut short, so it exits 0 (it waited out the deadline, exit 1).
    expect(codes[0]).toBe(0);
    await redis.launch();
  }, 90_000);

  it('API while Redis is down: /readyz and Redis-backed routes answer 503, and recover when it is back', async () => {
    await setUp();
    const deps = await connectAppDeps(config);
    const app = await buildApp(config, { ...deps, logger: false });
    try {
      const hash = 'b'.repeat(64);
      const known = () => app.inject({ url: `/v1/images/${hash}/crop-hints`, headers: { 'x-api-key': API_KEY } });
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
      expect((await known()).statusCode).toBe(404);
      await redis.kill();
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().error.code).toBe('UNAVAILABLE');
      const down = await known();
      expect(down.statusCode).toBe(503);
      expect(down.json().error.code).toBe('UNAVAILABLE');
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
      await redis.launch();
      const deadline = Date.now() + 15_000;
      while ((await app.inject({ url: '/readyz' })).statusCode !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect((await known()).statusCode).toBe(404);
    } finally {
      await app.close();
      await deps.close();
    }
  }, 60_000);
});
