import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '../support/redis-server.ts';
import { spawnArtmeta, stopProcess, testConfig, testEnv } from './service-harness.ts';

/** Every line a JSON log record (no raw stack traces), as objects. */
function records(output: string): { msg?: string; level: number }[] {
  const lines = output.split('\n').filter((l) => l.trim().length > 0);
  expect(lines.filter((l) => !l.startsWith('{'))).toEqual([]);
  return lines.map((l) => JSON.parse(l) as { msg?: string; level: number });
}

/**
 * A worker started before its Redis waits for it, as BullMQ workers do (a deployment may start the
 * two in any order), says so once, and joins when Redis comes up; SIGTERM while it waits ends it
 * at once (exit 0: it had taken nothing).
 */
describe('artmeta worker started before Redis', () => {
  const started: ChildProcess[] = [];
  let redis: RedisServer | undefined;

  afterAll(async () => {
    await Promise.all(started.map((child) => stopProcess(child, 'SIGKILL')));
    await redis?.stop();
  });

  it('logs one JSON line that it waits for Redis, joins when it comes up (one line connected), and exits 0 at once on SIGTERM while waiting', async () => {
    const port = await freePort();
    const env = testEnv(`redis://127.0.0.1:${port}`);
    const [waiting, joining] = await Promise.all([spawnArtmeta('worker', env, /waiting for redis/), spawnArtmeta('worker', env, /waiting for redis/)]);
    started.push(waiting.child, joining.child);

    const signalled = Date.now();
    const code = await stopProcess(waiting.child, 'SIGTERM');
    // Nothing was taken, so nothing is left to finish: it stops at once and cleanly, not at the
    // shutdown deadline (8 s) with exit 1, where BullMQ's close, waiting for Redis, had left it.
    expect(Date.now() - signalled).toBeLessThan(testConfig(env).shutdownMs / 2);
    expect(code).toBe(0);
    expect(records(waiting.output()).filter((r) => r.msg === 'waiting for redis').length).toBe(1);

    redis = await RedisServer.start(port);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !(joining.output().includes('worker ready') && joining.output().includes('redis connected'))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const joined = records(joining.output());
    // It never had Redis, so it did not lose it: waiting, then connected (it said lost, then back).
    expect(joined.filter((r) => r.msg === 'waiting for redis').length).toBe(1);
    expect(joined.filter((r) => r.msg === 'redis connected').length).toBe(1);
    expect(joined.filter((r) => r.msg === 'redis connection lost' || r.msg === 'redis connection back')).toEqual([]);
    expect(joined.filter((r) => r.msg === 'worker ready').length).toBe(1);
    expect(joined.filter((r) => r.level >= 50)).toEqual([]);
    expect(await stopProcess(joining.child, 'SIGTERM')).toBe(0);
  }, 90_000);
});
