import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { fixture, repo, testEnv } from './service-harness.ts';

const run = promisify(execFile);

describe('artmeta submit', () => {
  it('refuses a file over ARTMETA_UPLOAD_MAX_BYTES (INPUT_TOO_LARGE) and uploads nothing for it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'artmeta-submit-'));
    const big = join(dir, 'big.jpg');
    await writeFile(big, await readFile(fixture('service-1.jpg')));
    const env = { ...process.env, ...testEnv(inject('redisUrl'), { ARTMETA_UPLOAD_MAX_BYTES: '1000' }) };
    const outcome = await run(process.execPath, [join(repo, 'bin/artmeta.js'), 'submit', big], { cwd: repo, env }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(outcome.code).toBe(1);
    const line = JSON.parse(outcome.stdout.trim()) as { input: string; error?: { code: string; message: string } };
    expect(line.error?.code).toBe('INPUT_TOO_LARGE');
    expect(line.error?.message).toContain('1000');
  });
});
