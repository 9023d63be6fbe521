import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';

const run = promisify(execFile);
const repo = new URL('../../', import.meta.url).pathname;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `wrapper`: a command that runs node (e.g. with fewer privileges). */
function cluster(args: string[], wrapper: string[] = []): Promise<Outcome> {
  const [command, ...rest] = [...wrapper, process.execPath, join(repo, 'bin/artmeta.js'), 'cluster', ...args, '--threads', '1'];
  return run(command!, rest, { cwd: repo }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('artmeta cluster (CLI)', () => {
  it('clusters the images it can read and lists each bad one with its error, exit code 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'artmeta-cluster-'));
    await copyFile(fixture('lineage-china.jpg'), join(dir, 'a.jpg'));
    await copyFile(fixture('lineage-china-crop-title.jpg'), join(dir, 'b.jpg'));
    await writeFile(join(dir, 'c-empty.jpg'), Buffer.alloc(0));
    const good = await readFile(fixture('lineage-unrelated.jpg'));
    await writeFile(join(dir, 'd-truncated.jpg'), good.subarray(0, good.length >> 2));
    const { code, stdout, stderr } = await cluster([dir]);
    const result = JSON.parse(stdout) as { images: Record<string, string>; failed: Array<{ file: string; error: { code: string } }> };
    expect(Object.keys(result.images)).toEqual(['a.jpg', 'b.jpg']);
    expect(result.images['a.jpg']).toBe(result.images['b.jpg']);
    expect(result.failed.map((f) => [f.file, f.error.code])).toEqual([
      ['c-empty.jpg', 'EMPTY_INPUT'],
      ['d-truncated.jpg', 'CORRUPT_IMAGE'],
    ]);
    expect(stderr).toContain('2 images in 1 lineages, 2 failed');
    expect(code).toBe(1);
  });

  it('reports a file and a folder it may not read and clusters the rest (it failed the file as INTERNAL and stopped the whole run, exit 2, on the folder)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'artmeta-cluster-'));
    await copyFile(fixture('lineage-china.jpg'), join(dir, 'a.jpg'));
    await copyFile(fixture('lineage-unrelated.jpg'), join(dir, 'b-locked.jpg'));
    await mkdir(join(dir, 'c-locked'));
    await copyFile(fixture('lineage-china-crop-title.jpg'), join(dir, 'c-locked', 'inside.jpg'));
    await chmod(join(dir, 'b-locked.jpg'), 0o000);
    await chmod(join(dir, 'c-locked'), 0o000);
    // Root reads everything: as root, the run goes without the capabilities that bypass file permissions.
    const asOwner = process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search'] : [];
    const { code, stdout, stderr } = await cluster([dir], asOwner);
    const result = JSON.parse(stdout) as { images: Record<string, string>; failed: Array<{ file: string; error: { code: string; message: string } }> };
    expect(Object.keys(result.images)).toEqual(['a.jpg']);
    expect(result.failed).toEqual([
      { file: 'c-locked', error: { code: 'NOT_FOUND', message: `cannot read ${join(dir, 'c-locked')}: EACCES` } },
      { file: 'b-locked.jpg', error: { code: 'NOT_FOUND', message: `cannot read ${join(dir, 'b-locked.jpg')}: EACCES` } },
    ]);
    expect(stderr).toContain('1 images in 1 lineages, 2 failed');
    expect(code).toBe(1);
  });

  it('refuses a file where it wants a directory', async () => {
    const { code, stderr } = await cluster([fixture('lineage-china.jpg')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^artmeta: INVALID_ARGUMENT: .* is not a directory/);
  });

  it('says it cannot write --out or --report, and exits 2, before any image is read, as analyze does (it clustered everything, then failed on a bare ENOENT)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'artmeta-cluster-'));
    await copyFile(fixture('lineage-china.jpg'), join(dir, 'a.jpg'));
    const notADir = join(dir, 'a.jpg');
    for (const option of ['--out', '--report']) {
      const { code, stdout, stderr } = await cluster([dir, option, join(notADir, 'x')]);
      expect(code, option).toBe(2);
      expect(stderr).toMatch(new RegExp(`^artmeta: INVALID_ARGUMENT: cannot write ${option} `));
      expect(stdout).toBe('');
    }
  });

  it('--report draws each thumbnail as displayed: EXIF orientation applied, transparency on white (it showed the stored pixels sideways and transparent areas black)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'artmeta-report-'));
    await copyFile(fixture('astronaut-exif6.jpg'), join(dir, 'a-exif6.jpg'));
    // The upright photo with its left half transparent (black under the transparency, as many encoders leave it).
    const { data, info } = await sharp(fixture('astronaut-upright.jpg')).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    for (let i = 0; i < info.width * info.height; i++) if (i % info.width < info.width / 2) data.fill(0, i * 4, i * 4 + 4);
    await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).png().toFile(join(dir, 'b-half-transparent.png'));
    const report = join(dir, 'report.html');
    expect((await cluster([dir, '--report', report])).code).toBe(0);
    const html = await readFile(report, 'utf8');
    const thumbnail = async (name: string) => {
      const src = new RegExp(`<img src="data:image/jpeg;base64,([^"]+)" alt=""><figcaption>${name}<`).exec(html)?.[1];
      expect(src, name).toBeDefined();
      return sharp(Buffer.from(src!, 'base64')).raw().toBuffer({ resolveWithObject: true });
    };
    const rotated = await thumbnail('a-exif6.jpg');
    expect([rotated.info.width, rotated.info.height]).toEqual([180, 135]);
    const transparent = await thumbnail('b-half-transparent.png');
    let left = 0;
    for (let y = 0; y < transparent.info.height; y++) for (let x = 0; x < 60; x++) left += transparent.data[(y * transparent.info.width + x) * transparent.info.channels]!;
    expect(left / (60 * transparent.info.height)).toBeGreaterThan(240);
  });

  it('similarity names each image it cannot read, with its code, exit code 1 (it said only "not an image…", exit 2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'artmeta-similarity-'));
    const text = join(dir, 'text.jpg');
    await writeFile(text, 'not an image\n');
    const { code, stdout, stderr } = await run(process.execPath, [join(repo, 'bin/artmeta.js'), 'similarity', fixture('lineage-china.jpg'), text], { cwd: repo }).then(
      (r) => ({ code: 0, ...r }),
      (e: Outcome) => e,
    );
    expect(stdout).toBe('');
    expect(stderr).toBe(`artmeta: ${text}: UNSUPPORTED_FORMAT: not an image artmeta reads (JPEG, PNG, WebP, AVIF, TIFF, GIF)\n`);
    expect(code).toBe(1);
  });

  it('cluster and similarity say a URL is not a file and what fetches one (they said only "ENOENT")', async () => {
    const url = 'https://example.com/photos';
    const because = `cannot read ${url}: a URL, not a file (analyze, cluster and similarity read files; submit and the API fetch http(s) URLs)`;
    const cli = (args: string[]) => run(process.execPath, [join(repo, 'bin/artmeta.js'), ...args], { cwd: repo }).then((r) => ({ code: 0, ...r }), (e: Outcome) => e);
    const cluster = await cli(['cluster', url]);
    expect([cluster.code, cluster.stderr]).toEqual([2, `artmeta: NOT_FOUND: ${because}\n`]);
    const pair = await cli(['similarity', fixture('lineage-china.jpg'), url]);
    expect([pair.code, pair.stderr]).toEqual([1, `artmeta: ${url}: NOT_FOUND: ${because}\n`]);
  });
});
