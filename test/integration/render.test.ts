import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { connectAppDeps } from '../../api/app-deps.ts';
import { renderPath, type RenderRequest } from '../../api/render/render-url.ts';
import { parseCanvasSpec } from '../../analysis/crop/canvas-spec.ts';
import { threadedAnalyzer, type ImageAnalyzer } from '../../service/queue/image-analyzer.ts';
import { contentHash } from '../../service/queue/job-id.ts';
import { SETTLE_MS } from '../../service/sources/path-hash-memo.ts';
import { API_KEY, fixture, repo, testConfig, testEnv } from './service-harness.ts';

const RENDER_KEY = 'render-key-for-tests-0123456789abcdef';
/** Small bounds, so that a few renders overflow them: about six 160 px pictures, four decoded fixtures. */
const PICTURE_CACHE_BYTES = 40_000;
const MASTER_CACHE_BYTES = 2_000_000;
const REDUCED_MASTER_SIDE = 240;

describe('GET /render/… (signed crop rendering), on a real Redis and analysis thread', () => {
  let app: FastifyInstance;
  /** The same service with a 240 px master bound and no picture cache: a 480 px fixture stands for a large photo. */
  let reducedApp: FastifyInstance;
  /** The same service encoding WebP at effort 0 (ARTMETA_RENDER_WEBP_EFFORT). */
  let fastWebpApp: FastifyInstance;
  let close: () => Promise<void>;
  let root: string;
  let analyses = 0;
  const path = (name: string, options: Partial<RenderRequest> = {}) =>
    renderPath({ source: { path: name }, canvas: parseCanvasSpec('16:9'), format: 'webp', enlarge: false, ...options }, RENDER_KEY);
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ url, headers });
  const touchLike = (file: string, reference: string) => promisify(execFile)('touch', ['-r', reference, file]);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'artmeta-render-'));
    for (const name of ['service-1.jpg', 'service-2.jpg', 'service-3.jpg', 'service-4.jpg', 'service-6.jpg', 'astronaut-exif6.jpg', 'astronaut-upright.jpg']) await copyFile(fixture(name), join(root, name));
    const config = testConfig(testEnv(inject('redisUrl'), {
        ARTMETA_RENDER_KEY: RENDER_KEY,
        ARTMETA_PATH_ROOTS: root,
        ARTMETA_RENDER_CACHE_BYTES: String(PICTURE_CACHE_BYTES),
        ARTMETA_RENDER_MASTER_BYTES: String(MASTER_CACHE_BYTES),
      }));
    const real = threadedAnalyzer(1);
    const counted: ImageAnalyzer = {
      analyze: (bytes, options) => {
        analyses++;
        return real.analyze(bytes, options);
      },
      close: () => real.close(),
    };
    const deps = await connectAppDeps(config, counted);
    close = deps.close;
    app = await buildApp(config, { ...deps, logger: false });
    reducedApp = await buildApp({ ...config, api: { ...config.api, renderMasterMaxSide: REDUCED_MASTER_SIDE, renderCacheBytes: 0 } }, { ...deps, logger: false });
    fastWebpApp = await buildApp({ ...config, api: { ...config.api, renderWebpEffort: 0 } }, { ...deps, logger: false });
  });

  afterAll(async () => {
    await fastWebpApp?.close();
    await reducedApp?.close();
    await app?.close();
    await close?.();
  });

  it('renders the stored crop hint, resized; a known image is not analysed again', async () => {
    const before = analyses;
    const first = await get(path('service-6.jpg', { width: 320 }));
    expect(first.statusCode, first.body).toBe(200);
    expect(analyses).toBe(before + 1);
    expect(first.headers['content-type']).toBe('image/webp');
    expect(await sharp(first.rawPayload).metadata()).toMatchObject({ format: 'webp', width: 320, height: 180 });

    // The crop is the one the API gives for that canvas: the same pixels as a plain sharp extract of it.
    const hash = contentHash(await readFile(fixture('service-6.jpg')));
    const hints = await app.inject({ url: `/v1/images/${hash}/crop-hints?aspect=16:9`, headers: { 'x-api-key': API_KEY } });
    const box = hints.json().crops['16:9'] as { x: number; y: number; w: number; h: number };
    const png = await get(path('service-6.jpg', { format: 'png' }));
    const expected = await sharp(fixture('service-6.jpg')).extract({ left: box.x, top: box.y, width: box.w, height: box.h }).raw().toBuffer();
    const rendered = await sharp(png.rawPayload).raw().toBuffer();
    expect(rendered.equals(expected)).toBe(true);

    // Other formats, sizes and canvases of the same image: still no analysis.
    const square = await get(path('service-6.jpg', { canvas: parseCanvasSpec('3:1'), height: 100, format: 'jpeg', quality: 60 }));
    expect(square.statusCode).toBe(200);
    expect(await sharp(square.rawPayload).metadata()).toMatchObject({ format: 'jpeg', width: 300, height: 100 });
    expect(analyses).toBe(before + 1);
  });

  it('answers with the asked format and its content type', async () => {
    for (const [format, type] of [['jpeg', 'image/jpeg'], ['webp', 'image/webp'], ['avif', 'image/avif'], ['png', 'image/png']] as const) {
      const response = await get(path('service-1.jpg', { width: 160, format }));
      expect(response.statusCode, format).toBe(200);
      expect(response.headers['content-type'], format).toBe(type);
      expect((await sharp(response.rawPayload).metadata()).format, format).toBe(format === 'avif' ? 'heif' : format);
    }
  });

  it('never enlarges past the crop unless asked', async () => {
    // service-4.jpg is 480×480: its 16:9 crop is at most 480 wide.
    const capped = await sharp((await get(path('service-4.jpg', { width: 1280 }))).rawPayload).metadata();
    expect(capped.width).toBeLessThanOrEqual(480);
    expect(capped.width! / capped.height!).toBeCloseTo(16 / 9, 1);
    const pixelCanvas = await sharp((await get(path('service-4.jpg', { canvas: parseCanvasSpec('1280x720') }))).rawPayload).metadata();
    expect(pixelCanvas.width).toBeLessThanOrEqual(480);
    const enlarged = await sharp((await get(path('service-4.jpg', { width: 1280, enlarge: true }))).rawPayload).metadata();
    expect(enlarged).toMatchObject({ width: 1280, height: 720 });
  });

  it('sends a strong ETag and a long Cache-Control; If-None-Match gives 304 with no body', async () => {
    const url = path('service-1.jpg', { width: 200 });
    const first = await get(url);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers['cache-control']).toMatch(/max-age=31536000/);
    const again = await get(url, { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect((await get(url, { 'if-none-match': '"other"' })).statusCode).toBe(200);
    // A client that escapes the path (Swagger UI's "Try it out" does) asks for the same picture.
    expect((await get(url.replaceAll(':', '%3A'))).headers.etag).toBe(etag);
    expect((await get(`/render/${encodeURIComponent(url.slice('/render/'.length))}`)).headers.etag).toBe(etag);
    expect((await get(path('service-1.jpg', { width: 201 }))).headers.etag).not.toBe(etag);
  });

  it('answers a repeated request from its cache of rendered pictures, with the same bytes and ETag', async () => {
    const url = path('service-2.jpg', { width: 160 });
    const first = await get(url);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['x-render-cache']).toBe('miss');
    const again = await get(url);
    expect(again.headers['x-render-cache']).toBe('hit');
    expect(again.rawPayload.equals(first.rawPayload)).toBe(true);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(again.headers['cache-control']).toBe(first.headers['cache-control']);
    expect((await get(url, { 'if-none-match': first.headers.etag as string })).statusCode).toBe(304);
    // Another size of the same image is cut from its decoded master: no second decode.
    expect((await get(path('service-2.jpg', { width: 150 }))).headers['x-render-cache']).toBe('master');
  });

  it('keeps its caches within their bounds: the least recently used picture goes first, and comes back with the same bytes', async () => {
    const first = path('service-3.jpg', { width: 160, format: 'jpeg' });
    const original = await get(first);
    expect(original.statusCode, original.body).toBe(200);
    expect((await get(first)).headers['x-render-cache']).toBe('hit');
    // More pictures than the bound holds (each 4-8 kB), the first one never asked again.
    for (let width = 161; width <= 175; width++) expect((await get(path('service-4.jpg', { width, format: 'jpeg' }))).statusCode).toBe(200);
    const evicted = await get(first);
    expect(evicted.headers['x-render-cache']).toBe('master');
    // Rendered again, from the master instead of the source's bytes: the same bytes, as the ETag promises.
    expect(evicted.rawPayload.equals(original.rawPayload)).toBe(true);
    expect(evicted.headers.etag).toBe(original.headers.etag);
  });

  it('answers a rewritten file with its new bytes and ETag, also when the rewrite keeps its size or its mtime', async () => {
    // Two images of one size (JPEG decoders stop at the end-of-image marker; the zeros after it are not read).
    const [a, b] = await Promise.all(['astronaut-upright.jpg', 'astronaut-exif6.jpg'].map((name) => readFile(fixture(name))));
    const length = Math.max(a!.length, b!.length);
    const [sameSizeA, sameSizeB] = [a!, b!].map((bytes) => Buffer.concat([bytes, Buffer.alloc(length - bytes.length)]));
    const file = join(root, 'rewritten.jpg');
    await writeFile(file, sameSizeA!);
    await writeFile(join(root, 'twin-b.jpg'), sameSizeB!);
    // Old enough for its hash to be remembered: the next requests of this version stat the file and read nothing.
    await setTimeout(SETTLE_MS + 50);
    const url = path('rewritten.jpg', { canvas: parseCanvasSpec('1:1'), width: 64, format: 'png' });
    const first = await get(url);
    expect(first.statusCode, first.body).toBe(200);
    expect((await get(url)).headers.etag).toBe(first.headers.etag);
    const twinB = await get(path('twin-b.jpg', { canvas: parseCanvasSpec('1:1'), width: 64, format: 'png' }));
    expect(twinB.headers.etag).not.toBe(first.headers.etag);

    // Same size, and the mtime set back to the nanosecond as `cp -p` or `touch -r` do (fs.utimes rounds it): the change time still differs.
    const times = join(root, 'rewritten.times');
    await writeFile(times, '');
    await touchLike(times, file);
    await writeFile(file, sameSizeB!);
    await touchLike(file, times);
    expect((await stat(file, { bigint: true })).mtimeNs).toBe((await stat(times, { bigint: true })).mtimeNs);
    const rewritten = await get(url);
    expect(rewritten.headers.etag).toBe(twinB.headers.etag);
    expect(rewritten.rawPayload.equals(twinB.rawPayload)).toBe(true);

    // Same size again, with a new mtime: back to the first picture.
    await writeFile(file, sameSizeA!);
    await utimes(file, new Date(), new Date(Date.now() + 5_000));
    const back = await get(url);
    expect(back.headers.etag).toBe(first.headers.etag);
    expect(back.rawPayload.equals(first.rawPayload)).toBe(true);
  });

  it('refuses unsigned, badly signed and altered URLs with 403 INVALID_SIGNATURE, before reading anything', async () => {
    const good = path('service-1.jpg', { width: 200 });
    const signature = good.split('/')[2]!;
    const flipped = signature.slice(0, 5) + (signature[5] === 'A' ? 'B' : 'A') + signature.slice(6);
    for (const url of [
      good.replace(`/${signature}`, ''),
      good.replace(signature, flipped),
      good.replace(signature, signature.slice(0, 20)),
      good.replace('width:200', 'width:2000'),
      good.replace('.webp', '.png'),
      renderPath({ source: { path: 'service-1.jpg' }, canvas: parseCanvasSpec('16:9'), format: 'webp', enlarge: false }, 'another-key-of-the-same-length-0123456'),
      '/render/',
    ]) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(403);
      expect(response.json().error.code, url).toBe('INVALID_SIGNATURE');
    }
  });

  it('reads sources through the same guards as jobs: path roots, SSRF', async () => {
    const outside = await get(path('/etc/passwd'));
    expect(outside.statusCode).toBe(400);
    expect(outside.json().error.message).toMatch(/outside the allowed roots/);
    const missing = await get(path('missing.jpg'));
    expect(missing.statusCode).toBe(404);
    const loopback = await get(renderPath({ source: { url: 'http://127.0.0.1:6379/a.jpg' }, canvas: parseCanvasSpec('1:1'), format: 'jpeg', enlarge: false }, RENDER_KEY));
    expect(loopback.statusCode).toBe(400);
    expect(loopback.json().error.message).toMatch(/loopback|private/);
  });

  it('crops in displayed pixels: an EXIF-rotated photo renders as its upright twin', async () => {
    const [turned, upright] = await Promise.all(
      ['astronaut-exif6.jpg', 'astronaut-upright.jpg'].map(async (name) => sharp((await get(path(name, { canvas: parseCanvasSpec('1:1'), width: 64, format: 'png' }))).rawPayload).raw().toBuffer()),
    );
    let difference = 0;
    for (let i = 0; i < turned!.length; i++) difference += Math.abs(turned![i]! - upright![i]!);
    // Re-encoding differs by a few levels; a turned or shifted crop by tens.
    expect(difference / turned!.length).toBeLessThan(6);
  });

  it('`artmeta sign-url` prints a path the server accepts', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(repo, 'bin/artmeta.js'), 'sign-url', 'service-1.jpg', '--canvas', '16:9', '--width', '120', '--format', 'jpeg', '--quality', '70'], {
      env: { ...process.env, ARTMETA_RENDER_KEY: RENDER_KEY },
    });
    expect(stdout).toMatch(/^\/render\/[\w-]{43}\/canvas:16:9\/width:120\/quality:70\/path:[\w-]+\.jpeg\n$/);
    const response = await get(stdout.trim());
    expect(response.statusCode).toBe(200);
    expect(await sharp(response.rawPayload).metadata()).toMatchObject({ format: 'jpeg', width: 120, height: 68 });
  });

  it('`artmeta sign-url` refuses a URL of a scheme the server does not fetch, instead of signing it as a path', async () => {
    const outcome = await promisify(execFile)(process.execPath, [join(repo, 'bin/artmeta.js'), 'sign-url', 'ftp://example.com/a.jpg', '--canvas', '16:9'], {
      env: { ...process.env, ARTMETA_RENDER_KEY: RENDER_KEY },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('ftp:// sources are not fetched');
  });

  it('an image larger than the master bound: small renders from its reduced master, larger ones from the source', async () => {
    // service-6.jpg is 480×350: its master is 240×175, and its 16:9 crop hint at most 480×270 (240×135 of the master).
    const render = (width: number, format: 'png' | 'webp' = 'webp') => reducedApp.inject({ url: path('service-6.jpg', { width, format }) });
    const leftovers = async () => (await readdir(tmpdir())).filter((name) => name.startsWith('artmeta-master-')).length;
    const tempBefore = await leftovers();
    const first = await render(64);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['x-render-cache']).toBe('miss');
    expect(await sharp(first.rawPayload).metadata()).toMatchObject({ width: 64, height: 36 });
    // Another small size: cut from the reduced master, no decode of the source.
    const second = await render(60);
    expect(second.headers['x-render-cache']).toBe('master');
    expect(await sharp(second.rawPayload).metadata()).toMatchObject({ width: 60, height: 34 });
    // 200 px needs more than the master's pixels (less than 2× across the crop): the source, every time.
    for (let i = 0; i < 2; i++) {
      const large = await render(200);
      expect(large.headers['x-render-cache']).toBe('miss');
      expect(await sharp(large.rawPayload).metadata()).toMatchObject({ width: 200, height: 113 });
    }
    // The full service keeps the image as its own master: another picture, another ETag.
    expect((await get(path('service-6.jpg', { width: 64 }))).headers.etag).not.toBe(first.headers.etag);
    // The reduced master's picture is the crop hint's: within resampling of extracting it from the full decode.
    const hash = contentHash(await readFile(fixture('service-6.jpg')));
    const box = (await app.inject({ url: `/v1/images/${hash}/crop-hints?aspect=16:9`, headers: { 'x-api-key': API_KEY } })).json().crops['16:9'] as { x: number; y: number; w: number; h: number };
    const rendered = await sharp((await render(64, 'png')).rawPayload).raw().toBuffer();
    const expected = await sharp(fixture('service-6.jpg')).extract({ left: box.x, top: box.y, width: box.w, height: box.h }).resize(64, 36, { fit: 'fill' }).raw().toBuffer();
    let difference = 0;
    for (let i = 0; i < rendered.length; i++) difference += Math.abs(rendered[i]! - expected[i]!);
    expect(difference / rendered.length).toBeLessThan(4);
    // The master was decoded at ½ by libjpeg through a temporary file, which is gone.
    expect(await leftovers()).toBe(tempBefore);
  });

  it('encodes WebP at the configured effort, under its own ETag; JPEG renders are the same', async () => {
    const webp = path('service-2.jpg', { width: 160 });
    const [now, fast] = [await get(webp), await fastWebpApp.inject({ url: webp })];
    expect(fast.statusCode, fast.body).toBe(200);
    expect(await sharp(fast.rawPayload).metadata()).toMatchObject({ format: 'webp', width: 160, height: 90 });
    expect(fast.headers.etag).not.toBe(now.headers.etag);
    expect(fast.rawPayload.equals(now.rawPayload)).toBe(false);
    const jpeg = path('service-2.jpg', { width: 160, format: 'jpeg' });
    const [jpegNow, jpegFast] = [await get(jpeg), await fastWebpApp.inject({ url: jpeg })];
    expect(jpegFast.headers.etag).toBe(jpegNow.headers.etag);
    expect(jpegFast.rawPayload.equals(jpegNow.rawPayload)).toBe(true);
  });
});
