import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repo, testEnv } from './service-harness.ts';

/** `artmeta serve` (or `worker`) run to its end: exit code and stderr, or `code: 'still running'` after `limitMs`. */
function serveUntilExit(env: Record<string, string>, limitMs: number, command: 'serve' | 'worker' = 'serve'): Promise<{ code: number | string | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [join(repo, 'bin/artmeta.js'), command], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: 'still running', stderr, stdout });
    }, limitMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

/** A start that cannot work ends the process with its message and exit code 2, rather than leaving it up, serving nothing. */
describe('artmeta serve when it cannot start', () => {
  let taken: Server;
  let port: number;

  beforeAll(async () => {
    // Every connection is closed at once: nothing listens on the port for real, nor answers as Redis.
    taken = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => taken?.close(resolve));
  });

  it('exits 2 when its port is taken (it printed EADDRINUSE and stayed up)', async () => {
    const { code, stderr } = await serveUntilExit(testEnv(inject('redisUrl'), { ARTMETA_HOST: '127.0.0.1', ARTMETA_PORT: String(port) }), 15_000);
    expect(stderr).toContain('EADDRINUSE');
    // A deployment's fault, with its code (it was printed as a bare Node error, INTERNAL to a script).
    expect(stderr).toMatch(/^artmeta: INVALID_CONFIG: cannot listen on ARTMETA_HOST=127\.0\.0\.1 ARTMETA_PORT=\d+: /m);
    expect(code).toBe(2);
  }, 20_000);

  it('exits 2 on a bad variable, with the code INVALID_CONFIG before the message (it had no code)', async () => {
    const { code, stderr } = await serveUntilExit(testEnv(inject('redisUrl'), { ARTMETA_PORT: 'eighty' }), 15_000);
    expect(stderr).toMatch(/^artmeta: INVALID_CONFIG: invalid configuration:\n {2}ARTMETA_PORT="eighty": not a plain integer/);
    expect(code).toBe(2);
  }, 20_000);

  it('exits 2 when Redis does not answer within its 10 s (it printed so and stayed up)', async () => {
    // The port taken above has no Redis behind it.
    const { code, stderr, stdout } = await serveUntilExit(testEnv(`redis://127.0.0.1:${port}`, { ARTMETA_HOST: '127.0.0.1', ARTMETA_PORT: '0' }), 20_000);
    // During the wait it says what it waits for, in one JSON line (it was silent for the 10 s).
    const lines = stdout.split('\n').filter((l) => l.trim().length > 0);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['waiting for redis']);
    expect(stderr).toContain('did not answer within 10 s');
    expect(stderr).toMatch(/^artmeta: UNAVAILABLE: Redis at /m);
    expect(code).toBe(2);
  }, 25_000);

  it('serve and worker exit 2 when Redis has no database the URL selects (they ran in database 0, among what else lives there)', async () => {
    const env = testEnv(`${inject('redisUrl')}/99`, { ARTMETA_HOST: '127.0.0.1', ARTMETA_PORT: '0' });
    const [serve, worker] = await Promise.all([serveUntilExit(env, 30_000), serveUntilExit(env, 30_000, 'worker')]);
    for (const { code, stderr } of [serve, worker]) {
      expect(stderr).toContain('has no database 99');
      expect(stderr).toMatch(/^artmeta: INVALID_CONFIG: Redis at /m);
      expect(code).toBe(2);
    }
  }, 35_000);
});
