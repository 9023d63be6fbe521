import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';

const run = promisify(execFile);
const repo = new URL('../../', import.meta.url).pathname;

interface Line {
  file: string;
  width?: number;
  height?: number;
  crops?: Record<string, { x: number; y: number; w: number; h: number }>;
  focalPoint?: { x: number; y: number };
  error?: { code: string; message: string };
}

/** `artmeta analyze <args>`: its lines, stderr and exit code (killed after 40 s: a hang fails the test). */
async function analyze(args: string[]): Promise<{ lines: Line[]; stderr: string; code: number | null }> {
  const { stdout, stderr, code } = await run(process.execPath, [join(repo, 'bin/artmeta.js'), 'analyze', ...args], { cwd: repo, maxBuffer: 1 << 24, timeout: 40_000 }).then(
    (r) => ({ ...r, code: 0 }),
    (e: { stdout: string; stderr: string; code: number | null }) => e,
  );
  const text = stdout.trim();
  return { lines: text ? text.split('\n').map((l) => JSON.parse(l) as Line) : [], stderr, code };
}

describe('artmeta analyze (CLI, worker threads)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'artmeta-cli-'));
    const good = await readFile(fixture('group-of-three.jpg'));
    await writeFile(join(dir, 'a-empty.jpg'), Buffer.alloc(0));
    await writeFile(join(dir, 'b-truncated.jpg'), good.subarray(0, good.length >> 1));
    await writeFile(join(dir, 'c-not-an-image.jpg'), 'hello, I am text\n');
    await copyFile(fixture('group-of-three.jpg'), join(dir, 'd-good.jpg'));
    await copyFile(fixture('dandelions.jpg'), join(dir, 'e-good.jpg'));
  });

  it('analyses a batch with bad files: each bad one a clear error, the rest analysed, in input order, exit code 1', async () => {
    const { lines, stderr, code } = await analyze([dir, '--aspect', '16:9,1:1,1280x720', '--max-pixels', '50000000']);
    expect(lines.map((l) => l.file.split('/').pop())).toEqual(['a-empty.jpg', 'b-truncated.jpg', 'c-not-an-image.jpg', 'd-good.jpg', 'e-good.jpg']);
    expect(lines.slice(0, 3).map((l) => l.error?.code)).toEqual(['EMPTY_INPUT', 'CORRUPT_IMAGE', 'UNSUPPORTED_FORMAT']);
    for (const line of lines.slice(3)) {
      expect(line.error).toBeUndefined();
      expect(Object.keys(line.crops!)).toEqual(['16:9', '1:1', '1280x720']);
    }
    expect(stderr).toContain('2 analysed, 3 failed');
    expect(code).toBe(1);
  });

  it('refuses images over the pixel limit without stopping the batch', async () => {
    const { lines, code } = await analyze([fixture('group-of-three.jpg'), fixture('dandelions.jpg'), '--max-pixels', '200000']);
    expect(code).toBe(1);
    expect(lines[0]!.error?.code).toBe('PIXEL_LIMIT'); // 640×427
    expect(lines[1]!.error).toBeUndefined(); // 480×320
  });

  it('reports EXIF-rotated images in upright, displayed coordinates', async () => {
    const { lines } = await analyze([fixture('astronaut-upright.jpg'), fixture('astronaut-exif6.jpg')]);
    const [upright, rotated] = lines;
    expect([rotated!.width, rotated!.height]).toEqual([320, 240]);
    expect(Math.abs(rotated!.focalPoint!.x - upright!.focalPoint!.x)).toBeLessThanOrEqual(8);
    expect(Math.abs(rotated!.focalPoint!.y - upright!.focalPoint!.y)).toBeLessThanOrEqual(8);
    for (const [canvas, crop] of Object.entries(upright!.crops!)) {
      expect(Math.abs(rotated!.crops![canvas]!.x - crop.x)).toBeLessThanOrEqual(8);
      expect(Math.abs(rotated!.crops![canvas]!.y - crop.y)).toBeLessThanOrEqual(8);
    }
  });

  it('writes JSON lines to --out and a debug picture per image to --debug-dir', async () => {
    const out = join(dir, 'out.jsonl');
    const debugDir = join(dir, 'debug');
    const { code } = await analyze([fixture('group-of-three.jpg'), '--out', out, '--debug-dir', debugDir, '--place', '20%x8%@corners']);
    expect(code).toBe(0);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    const analysis = JSON.parse(lines[0]!) as Line & { placement?: { fits: boolean } };
    expect(analysis.error).toBeUndefined();
    expect(analysis.placement?.fits).toBe(true);
    expect(await readdir(debugDir)).toEqual(['group-of-three.debug.jpg']);
  });

  it('names the code of a debug picture it cannot write, and keeps the analysis (it printed a bare EISDIR)', async () => {
    const debugDir = join(dir, 'debug-blocked');
    // A directory where the picture should go: its write fails, as on a full disk.
    await mkdir(join(debugDir, 'group-of-three.debug.jpg'), { recursive: true });
    const { code, stderr, lines } = await analyze([fixture('group-of-three.jpg'), '--no-text', '--debug-dir', debugDir]);
    expect(code).toBe(0);
    expect(lines[0]?.error).toBeUndefined();
    expect(stderr).toContain(`artmeta: no debug picture for ${fixture('group-of-three.jpg')}: INVALID_ARGUMENT: cannot write --debug-dir ${join(debugDir, 'group-of-three.debug.jpg')}: EISDIR`);
  });

  it('gives files of the same name in different folders a debug picture each', async () => {
    const debugDir = join(dir, 'debug-same-names');
    for (const [folder, photo] of [['a', 'group-of-three.jpg'], ['b', 'dandelions.jpg']] as const) {
      await mkdir(join(dir, 'same-names', folder), { recursive: true });
      await copyFile(fixture(photo), join(dir, 'same-names', folder, 'cover.jpg'));
    }
    const { code } = await analyze([join(dir, 'same-names'), '--no-text', '--debug-dir', debugDir]);
    expect(code).toBe(0);
    expect((await readdir(debugDir)).sort()).toEqual(['cover-2.debug.jpg', 'cover.debug.jpg']);
  });

  it('says a URL is not a file and what fetches one (it said only "ENOENT", as if the picture were missing)', async () => {
    const { lines, code } = await analyze(['https://example.com/photo.jpg', fixture('dandelions.jpg')]);
    expect(code).toBe(1);
    expect(lines[0]).toEqual({
      file: 'https://example.com/photo.jpg',
      error: { code: 'NOT_FOUND', message: 'cannot read https://example.com/photo.jpg: a URL, not a file (analyze, cluster and similarity read files; submit and the API fetch http(s) URLs)' },
    });
    expect(lines[1]!.error).toBeUndefined();
  });

  it('fails fast with a clear message on a bad canvas', async () => {
    const { code, stderr } = await analyze([fixture('dandelions.jpg'), '--aspect', '16:0']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^artmeta: INVALID_ARGUMENT: bad canvas/);
  });

  it('exits 2 with INVALID_ARGUMENT on the option errors the parser reports itself (unknown option, a bad --threads or --max-pixels), as on a bad canvas: 1 means an image failed', async () => {
    for (const args of [['--bogus'], ['--threads', 'abc'], ['--threads', '0'], ['--max-pixels', 'many']]) {
      const { code, stderr, lines } = await analyze([fixture('dandelions.jpg'), ...args]);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(/^artmeta: INVALID_ARGUMENT: /);
      expect(lines).toEqual([]);
    }
  });

  it('says it cannot write --out or --debug-dir, and exits, before any analysis', async () => {
    const notADir = join(dir, 'd-good.jpg');
    for (const option of [['--out', join(notADir, 'out.jsonl')], ['--debug-dir', notADir]]) {
      const { code, stderr, lines } = await analyze([fixture('dandelions.jpg'), ...option]);
      expect(code).toBe(2);
      expect(stderr).toMatch(new RegExp(`^artmeta: INVALID_ARGUMENT: cannot write ${option[0]} `));
      expect(lines).toEqual([]);
    }
  });
});
