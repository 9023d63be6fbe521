import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/redis-server.ts';
import { fixture, repo, testEnv } from './service-harness.ts';

const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `artmeta <args>` with the test Redis (or `redisUrl`) in its environment; never rejects. */
function artmeta(args: string[], extraEnv: Record<string, string> = {}, redisUrl = inject('redisUrl')): Promise<Outcome> {
  const env = { ...process.env, ...testEnv(redisUrl, extraEnv) };
  return run(process.execPath, [join(repo, 'bin/artmeta.js'), ...args], { cwd: repo, env, timeout: 40_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('artmeta submit', () => {
  it('refuses a file over ARTMETA_UPLOAD_MAX_BYTES (INPUT_TOO_LARGE) and uploads nothing for it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'artmeta-submit-'));
    const big = join(dir, 'big.jpg');
    await writeFile(big, await readFile(fixture('service-1.jpg')));
    const outcome = await artmeta(['submit', big], { ARTMETA_UPLOAD_MAX_BYTES: '1000' });
    expect(outcome.code).toBe(1);
    const line = JSON.parse(outcome.stdout.trim()) as { input: string; error?: { code: string; message: string } };
    expect(line.error?.code).toBe('INPUT_TOO_LARGE');
    expect(line.error?.message).toContain('1000');
  });

  it('submits every image of a directory, as analyze reads one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'artmeta-submit-dir-'));
    await mkdir(join(dir, 'inner'));
    await copyFile(fixture('service-1.jpg'), join(dir, 'a.jpg'));
    await copyFile(fixture('dandelions.jpg'), join(dir, 'inner', 'b.jpg'));
    await writeFile(join(dir, 'notes.txt'), 'not an image\n');
    const outcome = await artmeta(['submit', dir]);
    const lines = outcome.stdout.trim().split('\n').map((l) => JSON.parse(l) as { input: string; id?: string; error?: unknown });
    expect(lines.map((l) => l.input)).toEqual([join(dir, 'a.jpg'), join(dir, 'inner', 'b.jpg')]);
    expect(lines.every((l) => l.id !== undefined && l.error === undefined)).toBe(true);
    expect(outcome.code).toBe(0);
  });

  it('says a URL of another scheme than http(s) is not a file, with or without --path (it said only "ENOENT")', async () => {
    for (const args of [[], ['--path']]) {
      const outcome = await artmeta(['submit', 's3://bucket/photo.jpg', ...args]);
      expect(outcome.code).toBe(1);
      expect(JSON.parse(outcome.stdout.trim())).toEqual({
        input: 's3://bucket/photo.jpg',
        error: { code: 'NOT_FOUND', message: 'cannot read s3://bucket/photo.jpg: a URL, not a file (analyze, cluster and similarity read files; submit and the API fetch http(s) URLs)' },
      });
    }
  });

  it('refuses an http(s) URL it cannot fetch as INVALID_ARGUMENT (http:// was INTERNAL: "Invalid URL")', async () => {
    const outcome = await artmeta(['submit', 'http://']);
    expect(outcome.code).toBe(1);
    expect(JSON.parse(outcome.stdout.trim())).toEqual({ input: 'http://', error: { code: 'INVALID_ARGUMENT', message: 'not a URL: http://' } });
  });

  it('says Redis does not answer, and exits, instead of waiting forever', async () => {
    const nobody = `redis://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const outcome = await artmeta(['submit', fixture('service-1.jpg')], {}, nobody);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain(`artmeta: UNAVAILABLE: Redis at ${nobody}`);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('says a job it stopped waiting for is still queued, not that it failed (no worker takes it here)', async () => {
    const outcome = await artmeta(['submit', fixture('service-1.jpg'), '--wait', '--timeout', '1']);
    const line = JSON.parse(outcome.stdout.trim()) as { id?: string; state?: string; error?: unknown };
    expect(line).toMatchObject({ state: 'waiting' });
    expect(line.id).toBeDefined();
    expect(line.error).toBeUndefined();
    expect(outcome.code).toBe(1);
  });

  it('refuses a --timeout that is not a number of seconds', async () => {
    const outcome = await artmeta(['submit', fixture('service-1.jpg'), '--wait', '--timeout', 'soon']);
    expect(outcome.code).not.toBe(0);
    expect(outcome.stderr).toContain("'--timeout <seconds>' argument 'soon' is invalid");
  });
});
