import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtmetaWorker } from '../../service/queue/artmeta-worker.ts';
import { contentHash } from '../../service/queue/job-id.ts';
import { ArtmetaQueues } from '../../service/queue/queues.ts';
import { connectRedis, type RedisClient } from '../../service/queue/redis-connection.ts';
import { ResultStore } from '../../service/store/result-store.ts';
import { freePort } from '../support/redis-server.ts';
import { fixture, testConfig, testEnv } from './service-harness.ts';

const run = promisify(execFile);

/** Three real redis-server nodes joined into a Redis Cluster (no replicas) on loopback. */
async function startCluster(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'artmeta-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes: ChildProcess[] = [];
  for (const port of ports) {
    const node = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
    nodes.push(node);
    await new Promise<void>((resolve, reject) => {
      let output = '';
      node.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      node.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
    });
  }
  await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
  for (let i = 0; i < 100; i++) {
    const { stdout } = await run('redis-cli', ['-p', String(ports[0]), 'cluster', 'info']);
    if (stdout.includes('cluster_state:ok')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: `redis://127.0.0.1:${ports[0]}`,
    stop: async () => {
      await Promise.all(nodes.map((node) => new Promise((resolve) => (node.exitCode !== null ? resolve(null) : (node.once('exit', resolve), node.kill('SIGTERM'))))));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('on a Redis Cluster (hash-tagged prefix: every key in one slot)', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let worker: ArtmetaWorker;
  let connection: RedisClient;
  let queues: ArtmetaQueues;

  beforeAll(async () => {
    cluster = await startCluster();
    const config = testConfig(testEnv(cluster.url, { ARTMETA_REDIS_CLUSTER: 'true' }));
    worker = new ArtmetaWorker(config);
    await worker.ready();
    connection = connectRedis(config);
    queues = new ArtmetaQueues(connection, config);
  }, 60_000);

  afterAll(async () => {
    await queues?.close();
    await connection?.quit().catch(() => undefined);
    await worker?.close();
    await cluster?.stop();
  });

  it('submit → analysed and stored, through the cluster client', async () => {
    const bytes = await readFile(fixture('service-3.jpg'));
    const store = new ResultStore(connection, queues.analyze.opts.prefix ?? '');
    const id = await queues.submitAnalyze({ upload: await store.putUpload(bytes, 600) });
    const events = queues.analyzeEvents();
    const job = await queues.analyze.getJob(id);
    const result = await job!.waitUntilFinished(events, 60_000);
    expect(result.hash).toBe(contentHash(bytes));
    expect((await store.get(result.hash))?.signed).toBe(true);
    await events.close();
  }, 90_000);
});
