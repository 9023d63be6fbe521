import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'artmeta-demo-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

// The README's service demo runs as documented: its own redis-server, a worker and serve, every sample
// through jobs, crop hints, the catalogue and a signed render.
describe('npm run demo:service', () => {
  it('drives the service end to end and stops everything it started', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo-service.ts', '--out', out], { cwd: repo, encoding: 'utf8', timeout: 180_000 });
    expect(run.stderr).not.toMatch(/demo failed/);
    expect(run.status).toBe(0);
    const samples = readdirSync(join(repo, 'samples')).filter((f) => /\.jpe?g$/i.test(f));
    expect(readdirSync(out).sort()).toEqual(samples.map((f) => f.replace(/\.[^.]+$/, '.16x9.webp')).sort());
    expect(run.stdout).toMatch(new RegExp(`POST /v1/clusters: completed, \\d+ lineages for ${samples.length} images`));
  }, 200_000);
});
