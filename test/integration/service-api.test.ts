import { mkdtemp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { connectAppDeps } from '../../api/app-deps.ts';
import type { ArtmetaConfig } from '../../service/config.ts';
import { ArtmetaWorker } from '../../service/queue/artmeta-worker.ts';
import { analyzeJobId, contentHash } from '../../service/queue/job-id.ts';
import type { ArtmetaQueues } from '../../service/queue/queues.ts';
import { parseAnalyzeRequest } from '../../service/request/analyze-request.ts';
import { API_KEY, fixture, multipart, startImageServer, testConfig, testEnv, waitForJob, type JobState } from './service-harness.ts';

const auth = { 'x-api-key': API_KEY };

describe('service API with a queue worker, on a real Redis', () => {
  let config: ArtmetaConfig;
  let app: FastifyInstance;
  let closeDeps: () => Promise<void>;
  let queues: ArtmetaQueues;
  let worker: ArtmetaWorker;
  let images: Awaited<ReturnType<typeof startImageServer>>;
  let root: string;
  let outside: string;
  const jpeg = (n: number) => readFile(fixture(`service-${n}.jpg`));

  beforeAll(async () => {
    images = await startImageServer();
    root = await mkdtemp(join(tmpdir(), 'artmeta-root-'));
    outside = await mkdtemp(join(tmpdir(), 'artmeta-outside-'));
    await writeFile(join(root, 'inside.jpg'), await jpeg(4));
    await writeFile(join(outside, 'secret.jpg'), await jpeg(5));
    await mkdir(join(root, 'sub'));
    await symlink(join(outside, 'secret.jpg'), join(root, 'sub', 'link.jpg'));
    await symlink(outside, join(root, 'linked-dir'));
    config = testConfig(
      testEnv(inject('redisUrl'), {
        ARTMETA_PATH_ROOTS: root,
        ARTMETA_UPLOAD_MAX_BYTES: String(200 * 1024),
        // Worker side: the local image server is on loopback, so it must be allow-listed.
        ARTMETA_URL_ALLOW: '127.0.0.1/32',
      }),
    );
    worker = new ArtmetaWorker(config);
    await worker.ready();
    // The API itself gets no allow-list: loopback URLs it is asked to fetch must be refused.
    const apiConfig = { ...config, sources: { ...config.sources, url: { ...config.sources.url, allow: [] } } };
    const deps = await connectAppDeps(apiConfig);
    closeDeps = deps.close;
    queues = deps.queues;
    app = await buildApp(apiConfig, { ...deps, logger: false });
  });

  afterAll(async () => {
    await app?.close();
    await closeDeps?.();
    await worker?.close();
    await images?.close();
  });

  describe('auth', () => {
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

    it('answers health probes without a key', async () => {
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready' });
    });

    it('refuses every other route without a key or with a wrong one (401)', async () => {
      for (const url of ['/v1/jobs/x', '/v1/images/' + '0'.repeat(64) + '/crop-hints', '/metrics', '/docs/json', '/admin/queues']) {
        const none = await app.inject({ url });
        expect(none.statusCode, url).toBe(401);
        expect(none.json().error.code).toBe('UNAUTHORIZED');
        expect(none.headers['www-authenticate']).toMatch(/^Basic realm="artmeta"/);
        expect((await app.inject({ url, headers: { 'x-api-key': 'wrong' } })).statusCode).toBe(401);
        expect((await app.inject({ url, headers: { authorization: basic('admin', 'wrong') } })).statusCode).toBe(401);
      }
      const post = await app.inject({ method: 'POST', url: '/v1/jobs', payload: { images: [{ source: { url: 'http://example.com/a.jpg' } }] } });
      expect(post.statusCode).toBe(401);
    });

    it('lets a browser in with the key as the Basic password, to the docs and the dashboard', async () => {
      for (const url of ['/docs/json', '/admin/queues']) {
        expect((await app.inject({ url, headers: { authorization: basic('anyone', API_KEY) } })).statusCode, url).toBe(200);
      }
    });

    it('accepts the key as a Bearer token', async () => {
      const response = await app.inject({ url: '/docs/json', headers: { authorization: `Bearer ${API_KEY}` } });
      expect(response.statusCode).toBe(200);
      const paths = Object.keys(response.json().paths);
      expect(paths).toEqual(expect.arrayContaining(['/v1/jobs', '/v1/jobs/{id}', '/v1/crop-hints', '/v1/images/{hash}/crop-hints', '/v1/clusters', '/v1/lineages/{id}']));
    });
  });

  describe('jobs', () => {
    it('submit an upload → completed job with the analysis, stored by content hash', async () => {
      const bytes = await jpeg(1);
      const submit = await app.inject({ method: 'POST', url: '/v1/jobs?aspect=16:9,1:1', ...multipart([{ name: 'a.jpg', bytes }]) });
      expect(submit.statusCode).toBe(202);
      const [job] = submit.json().jobs as { id: string }[];
      const done = await waitForJob(app, job!.id);
      expect(done.state).toBe('completed');
      expect(done.result?.hash).toBe(contentHash(bytes));
      expect(done.result?.analysis.width).toBe(480);
      expect(Object.keys(done.result?.analysis.crops ?? {})).toEqual(['16:9', '1:1']);
      // The result as the queue holds it: typed in the OpenAPI document, serialized from that type, nothing dropped.
      expect(done.result).toEqual((await queues.analyze.getJob(done.id))?.returnvalue);

      const hints = await app.inject({ url: `/v1/images/${contentHash(bytes)}/crop-hints?aspect=16:9,1:1`, headers: auth });
      expect(hints.statusCode).toBe(200);
      expect(hints.json().crops).toEqual(done.result?.analysis.crops);
      const stored = await app.inject({ url: `/v1/images/${contentHash(bytes)}`, headers: auth });
      expect(stored.json().analysis.focalPoint).toBeDefined();
    });

    it('submits many images in one request, from a URL and a path', async () => {
      const submit = await app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: auth,
        payload: { images: [{ source: { url: `${images.url}/fixtures/service-2.jpg` } }, { source: { path: join(root, 'inside.jpg') } }] },
      });
      expect(submit.statusCode).toBe(202);
      const ids = (submit.json().jobs as { id: string }[]).map((j) => j.id);
      const [fromUrl, fromPath] = await Promise.all(ids.map((id) => waitForJob(app, id)));
      expect(fromUrl?.state).toBe('completed');
      expect(fromUrl?.result?.hash).toBe(contentHash(await jpeg(2)));
      expect(fromPath?.state).toBe('completed');
      expect(fromPath?.result?.hash).toBe(contentHash(await jpeg(4)));
    });

    it('dedups: the same image gets the same job, and the same bytes from elsewhere reuse the stored analysis', async () => {
      const bytes = await jpeg(3);
      const ids = [];
      for (let i = 0; i < 3; i++) {
        const submit = await app.inject({ method: 'POST', url: '/v1/jobs', ...multipart([{ name: 'b.jpg', bytes }]) });
        ids.push(submit.json().jobs[0].id as string);
      }
      expect(new Set(ids).size).toBe(1);
      const first = await waitForJob(app, ids[0]!);
      expect(first.result?.cached).toBe(false);
      // The same bytes by URL: another job id, but no second analysis.
      const byUrl = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: { images: [{ source: { url: `${images.url}/fixtures/service-3.jpg` } }] } });
      const second = await waitForJob(app, byUrl.json().jobs[0].id);
      expect(second.id).not.toBe(first.id);
      expect(second.result?.cached).toBe(true);
      expect(second.result?.analysis).toEqual(first.result?.analysis);
      const counts = await app.inject({ url: '/metrics', headers: auth });
      expect(counts.body).toMatch(/artmeta_queue_jobs\{queue="analyze",state="completed"\} \d+/);
    });

    it('fails bad input at once with its code, no retries', async () => {
      const truncated = (await jpeg(5)).subarray(0, 2_000);
      const submit = await app.inject({ method: 'POST', url: '/v1/jobs', ...multipart([{ name: 't.jpg', bytes: truncated }, { name: 'x.txt', bytes: Buffer.from('plain text, not an image') }]) });
      const [bad, text] = await Promise.all((submit.json().jobs as { id: string }[]).map((j) => waitForJob(app, j.id)));
      expect(bad).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'CORRUPT_IMAGE' } });
      expect(text).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'UNSUPPORTED_FORMAT' } });
    });

    it('fails a job whose data is not a job this worker reads at once with INVALID_ARGUMENT (it crashed on it: INTERNAL, retried)', async () => {
      // The image is stored, so the job finds its analysis: without a request it crashed shaping the answer.
      const stored = await app.inject({ method: 'POST', url: '/v1/crop-hints', headers: { ...auth, 'content-type': 'image/jpeg' }, payload: await jpeg(1) });
      const analyze = await queues.analyze.add('analyze', { source: { upload: stored.json().hash as string } } as never);
      const cluster = await queues.cluster.add('cluster', { images: 'not a list' } as never);
      const [analyzeJob, clusterJob] = await Promise.all([waitForJob(app, analyze.id!), waitForJob(app, cluster.id!)]);
      expect(analyzeJob).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('/request') } });
      expect(clusterJob).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('/images') } });
    });

    describe('a finished job submitted again runs again when its result may no longer hold', () => {
      const submitPath = async (path: string) => {
        const response = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: { images: [{ source: { path } }] } });
        expect(response.statusCode).toBe(202);
        return waitForJob(app, response.json().jobs[0].id as string);
      };

      it('a path whose file was replaced: the new bytes, not the retained result of the old ones (it answered the old image)', async () => {
        const file = join(root, 'replaced.jpg');
        await writeFile(file, await jpeg(1));
        expect((await submitPath(file)).result?.hash).toBe(contentHash(await jpeg(1)));
        await writeFile(file, await jpeg(2));
        const again = await submitPath(file);
        expect(again.state).toBe('completed');
        expect(again.result?.hash).toBe(contentHash(await jpeg(2)));
        expect(again.attempts).toBe(1);
      });

      it('a path that did not exist yet: analysed once the file is there (it stayed failed NOT_FOUND)', async () => {
        const file = join(root, 'later.jpg');
        expect(await submitPath(file)).toMatchObject({ state: 'failed', error: { code: 'NOT_FOUND' } });
        await writeFile(file, await jpeg(3));
        expect(await submitPath(file)).toMatchObject({ state: 'completed', result: { hash: contentHash(await jpeg(3)) } });
      });

      it('an upload deleted from the store (DELETE /v1/images/:hash): analysed and stored again (it answered the old result and stored nothing)', async () => {
        const bytes = await sharp(await jpeg(2)).resize(270).jpeg().toBuffer();
        const hash = contentHash(bytes);
        const submit = async () => waitForJob(app, (await app.inject({ method: 'POST', url: '/v1/jobs', ...multipart([{ name: 'd.jpg', bytes }]) })).json().jobs[0].id as string);
        expect((await submit()).state).toBe('completed');
        expect((await app.inject({ method: 'DELETE', url: `/v1/images/${hash}`, headers: auth })).statusCode).toBe(200);
        expect((await submit()).state).toBe('completed');
        expect((await app.inject({ url: `/v1/images/${hash}`, headers: auth })).statusCode).toBe(200);
      });

      it('an upload whose bytes expired before its job ran: analysed once the same bytes are uploaded again (it stayed failed NOT_FOUND)', async () => {
        const bytes = await sharp(await jpeg(1)).resize(250).jpeg().toBuffer();
        // The job of an upload whose bytes are gone from Redis (ARTMETA_UPLOAD_TTL_SECONDS ran out while no worker took it).
        const expired = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: { images: [{ source: { upload: contentHash(bytes) } }] } });
        expect(await waitForJob(app, expired.json().jobs[0].id as string)).toMatchObject({ state: 'failed', error: { code: 'NOT_FOUND' } });
        const again = await app.inject({ method: 'POST', url: '/v1/jobs', ...multipart([{ name: 'e.jpg', bytes }]) });
        expect(again.json().jobs[0].id).toBe(expired.json().jobs[0].id);
        expect(await waitForJob(app, again.json().jobs[0].id as string)).toMatchObject({ state: 'completed', result: { hash: contentHash(bytes) } });
      });

      it('an upload still stored, or one that failed on its input, keeps its job as it was', async () => {
        const bytes = await sharp(await jpeg(3)).resize(260).jpeg().toBuffer();
        const submit = async (payload: Buffer) => waitForJob(app, (await app.inject({ method: 'POST', url: '/v1/jobs', ...multipart([{ name: 'k.jpg', bytes: payload }]) })).json().jobs[0].id as string);
        const first = await submit(bytes);
        const second = await submit(bytes);
        expect(second).toEqual(first);
        const truncated = bytes.subarray(0, 1_000);
        expect(await submit(truncated)).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'CORRUPT_IMAGE' } });
        expect(await submit(truncated)).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'CORRUPT_IMAGE' } });
      });
    });

    it('answers 404 for an unknown job and 400 for a malformed submission', async () => {
      expect((await app.inject({ url: '/v1/jobs/nope', headers: auth })).json().error.code).toBe('NOT_FOUND');
      const bad = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: { images: [{ source: { ftp: 'x' } }] } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe('INVALID_ARGUMENT');
    });
  });

  describe('regressions from the client report (issue 12)', () => {
    const uploadKey = (hash: string) => `${config.prefix}:upload:${hash}`;

    it('two jobs on one stored upload (other canvases): both complete, neither fails for the other', async () => {
      const bytes = await sharp(await jpeg(2)).resize(300).jpeg().toBuffer();
      const first = await app.inject({ method: 'POST', url: '/v1/jobs?aspect=16:9', ...multipart([{ name: 'a.jpg', bytes }]) });
      const second = await app.inject({ method: 'POST', url: '/v1/jobs?aspect=1:1', ...multipart([{ name: 'a.jpg', bytes }]) });
      const [a, b] = await Promise.all([first, second].map((r) => waitForJob(app, r.json().jobs[0].id as string)));
      expect(a).toMatchObject({ state: 'completed' });
      expect(b).toMatchObject({ state: 'completed' });
      expect(Object.keys(b!.result!.analysis.crops)).toEqual(['1:1']);
    });

    it('completed jobs report progress 100', async () => {
      const bytes = await sharp(await jpeg(1)).resize(290).jpeg().toBuffer();
      const submit = await app.inject({ method: 'POST', url: '/v1/jobs', ...multipart([{ name: 'p.jpg', bytes }]) });
      const done = await waitForJob(app, submit.json().jobs[0].id as string);
      expect(done.state).toBe('completed');
      expect((await app.inject({ url: `/v1/jobs/${done.id}`, headers: auth })).json().progress).toBe(100);
    });

    it('a finished upload submitted again leaves no bytes in Redis', async () => {
      const bytes = await sharp(await jpeg(1)).resize(280).jpeg().toBuffer();
      const submit = () => app.inject({ method: 'POST', url: '/v1/jobs', ...multipart([{ name: 'r.jpg', bytes }]) });
      expect((await waitForJob(app, (await submit()).json().jobs[0].id as string)).state).toBe('completed');
      await submit();
      expect(await queues.connection.exists(uploadKey(contentHash(bytes)))).toBe(0);
    });

    it('a cached analysis answers a new placement spec from the stored text and faces, not the first spec', async () => {
      const submit = async (place: string) => {
        const response = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: { images: [{ source: { path: 'inside.jpg' }, place }] } });
        expect(response.statusCode).toBe(202);
        return waitForJob(app, response.json().jobs[0].id as string);
      };
      const left = await submit('60x30@top-left');
      const right = await submit('60x30@bottom-right');
      const placement = (job: JobState) => (job.result?.analysis as { placement?: { anchor?: string } } | undefined)?.placement;
      expect(placement(left)?.anchor).toBe('top-left');
      expect(right.result?.cached).toBe(true);
      expect(placement(right)?.anchor).toBe('bottom-right');
    });

    it('POST /v1/jobs takes a raw image/* body as one upload (it answered 500)', async () => {
      const bytes = await jpeg(5);
      const submit = await app.inject({ method: 'POST', url: '/v1/jobs?aspect=1:1', headers: { ...auth, 'content-type': 'image/jpeg' }, payload: bytes });
      expect(submit.statusCode).toBe(202);
      const [job] = submit.json().jobs as { id: string }[];
      const done = await waitForJob(app, job!.id);
      expect(done.result?.hash).toBe(contentHash(bytes));
      expect(Object.keys(done.result?.analysis.crops ?? {})).toEqual(['1:1']);
    });

    it('POST /v1/jobs answers a text body 415 and a request without a body 400, as /v1/crop-hints does, and documents 415 (both answered 500)', async () => {
      for (const url of ['/v1/jobs', '/v1/crop-hints']) {
        const text = await app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'text/plain' }, payload: 'hello' });
        expect(text.statusCode, url).toBe(415);
        expect(text.json().error.code).toBe('UNSUPPORTED_FORMAT');
        const none = await app.inject({ method: 'POST', url, headers: auth });
        expect(none.statusCode, url).toBe(400);
        expect(none.json().error.code).toBe('INVALID_ARGUMENT');
      }
      const document = (await app.inject({ url: '/docs/json', headers: auth })).json();
      expect(Object.keys(document.paths['/v1/jobs'].post.responses)).toContain('415');
    });

    it('answers a path with a bad percent-encoding or a parameter too long 400 INVALID_ARGUMENT in the documented error shape (it was fastify\'s own shape)', async () => {
      // A path parameter over the router's 100 characters was fastify's 414 in its own shape too.
      for (const request of [{ url: '/v1/images/%zz', headers: auth }, { url: '/render/%zz' }, { url: `/v1/jobs/${'a'.repeat(150)}`, headers: auth }]) {
        const response = await app.inject(request);
        expect(response.statusCode, request.url).toBe(400);
        expect(response.json(), request.url).toEqual({ error: { code: 'INVALID_ARGUMENT', message: expect.any(String) } });
      }
    });

    it('answers a multipart body without its boundary or cut short 400 INVALID_ARGUMENT (it was 500 INTERNAL)', async () => {
      const cut = Buffer.from('--xyz\r\nContent-Disposition: form-data; name="f"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\nabc');
      const requests = [
        { url: '/v1/jobs', headers: { ...auth, 'content-type': 'multipart/form-data' }, payload: 'garbage' },
        { url: '/v1/crop-hints', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=xyz' }, payload: cut },
        { url: '/v1/jobs', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=xyz' }, payload: cut },
      ];
      for (const request of requests) {
        const response = await app.inject({ method: 'POST', ...request });
        expect(response.statusCode, request.url).toBe(400);
        expect(response.json(), request.url).toEqual({ error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^unreadable multipart\/form-data body: /) } });
      }
    });

    it('POST /v1/jobs (JSON) refuses bad aspects and placements at once with 400', async () => {
      for (const image of [{ aspects: ['wide'] }, { aspects: ['0:9'] }, { place: 'big' }, { place: '60x30@nowhere' }]) {
        const response = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: { images: [{ source: { path: 'inside.jpg' }, ...image }] } });
        expect(response.statusCode, JSON.stringify(image)).toBe(400);
        expect(response.json().error.code).toBe('INVALID_ARGUMENT');
      }
    });

    it('POST /v1/jobs and /v1/clusters refuse a url source that is no fetchable http(s) URL at once with 400 (http:// answered 500 INTERNAL; in a cluster job it failed INTERNAL, retried)', async () => {
      for (const url of ['http://', 'ftp://example.com/a.jpg', 'https://user:secret@example.com/a.jpg']) {
        const jobs = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: { images: [{ source: { path: 'inside.jpg' } }, { source: { url } }] } });
        expect([jobs.statusCode, jobs.json().error.code], url).toEqual([400, 'INVALID_ARGUMENT']);
        const cluster = await app.inject({ method: 'POST', url: '/v1/clusters', headers: auth, payload: { images: [{ url }] } });
        expect([cluster.statusCode, cluster.json().error.code], url).toEqual([400, 'INVALID_ARGUMENT']);
      }
    });

    it('POST /v1/jobs (JSON) refuses ?aspect=, which only uploads take, instead of ignoring it', async () => {
      const response = await app.inject({ method: 'POST', url: '/v1/jobs?aspect=1:1', headers: auth, payload: { images: [{ source: { path: 'inside.jpg' } }] } });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toEqual({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('"aspects"') });
    });
  });

  describe('crop hints now', () => {
    it('for an upload: analysed at once, then answered from the store', async () => {
      const bytes = await jpeg(6);
      const first = await app.inject({ method: 'POST', url: '/v1/crop-hints?aspect=16:9,1:1', ...multipart([{ name: 'c.jpg', bytes }]) });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ hash: contentHash(bytes), cached: false, width: 480, height: 350 });
      expect(Object.keys(first.json().crops)).toEqual(['16:9', '1:1']);
      const again = await app.inject({ method: 'POST', url: '/v1/crop-hints?aspect=16:9,1:1', headers: { ...auth, 'content-type': 'image/jpeg' }, payload: bytes });
      expect(again.json()).toEqual({ ...first.json(), cached: true });
    });

    it('for a known image at a canvas never computed: derived from the stored analysis, inside the image', async () => {
      const hash = contentHash(await jpeg(6));
      const response = await app.inject({ url: `/v1/images/${hash}/crop-hints?aspect=3:1,1280x720`, headers: auth });
      expect(response.statusCode).toBe(200);
      const { width, height, crops } = response.json() as { width: number; height: number; crops: Record<string, { x: number; y: number; w: number; h: number }> };
      for (const [label, box] of Object.entries(crops)) {
        expect(box.x + box.w, label).toBeLessThanOrEqual(width);
        expect(box.y + box.h, label).toBeLessThanOrEqual(height);
      }
      expect(crops['3:1']!.w / crops['3:1']!.h).toBeCloseTo(3, 1);
      expect(crops['3:1']!.w).toBe(width);
    });

    it('for a URL served by a local HTTP server (allow-listed on the worker, refused by the API): SSRF guard', async () => {
      const response = await app.inject({ method: 'POST', url: '/v1/crop-hints', headers: auth, payload: { url: `${images.url}/fixtures/service-1.jpg` } });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.message).toMatch(/loopback|private/);
    });

    it('refuses SSRF targets: loopback, private, link-local metadata, IPv6 loopback, localhost, non-http schemes', async () => {
      for (const url of ['http://127.0.0.1:6379/', 'http://10.0.0.1/a.jpg', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/a.jpg', 'http://[::ffff:127.0.0.1]/a.jpg', 'http://localhost/a.jpg', 'file:///etc/passwd', 'http://0.0.0.0/']) {
        const response = await app.inject({ method: 'POST', url: '/v1/crop-hints', headers: auth, payload: { url } });
        expect(response.statusCode, url).toBe(400);
        expect(response.json().error.code, url).toBe('INVALID_ARGUMENT');
      }
    });

    it('answers with stable codes: 404 unknown image, 413 too large, 415 wrong type, 422 damaged', async () => {
      const unknown = await app.inject({ url: `/v1/images/${'a'.repeat(64)}/crop-hints`, headers: auth });
      expect(unknown.statusCode).toBe(404);
      const big = await app.inject({ method: 'POST', url: '/v1/crop-hints', ...multipart([{ name: 'big.jpg', bytes: Buffer.alloc(300 * 1024, 1) }]) });
      expect(big.statusCode).toBe(413);
      expect(big.json().error.code).toBe('INPUT_TOO_LARGE');
      const rawBig = await app.inject({ method: 'POST', url: '/v1/crop-hints', headers: { ...auth, 'content-type': 'image/jpeg' }, payload: Buffer.alloc(300 * 1024, 1) });
      expect(rawBig.statusCode).toBe(413);
      const text = await app.inject({ method: 'POST', url: '/v1/crop-hints', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'hello' });
      expect(text.statusCode).toBe(415);
      const notImage = await app.inject({ method: 'POST', url: '/v1/crop-hints', ...multipart([{ name: 'x.jpg', bytes: Buffer.from('definitely not a picture') }]) });
      expect(notImage.statusCode).toBe(415);
      expect(notImage.json().error.code).toBe('UNSUPPORTED_FORMAT');
      // A phone's HEIC: a known container whose HEVC pixels sharp cannot decode, not damaged data.
      const heic = await app.inject({ method: 'POST', url: '/v1/crop-hints', headers: { ...auth, 'content-type': 'image/heic' }, payload: await readFile(fixture('astronaut-hevc.heic')) });
      expect(heic.statusCode).toBe(415);
      expect(heic.json().error.code).toBe('UNSUPPORTED_FORMAT');
      const damaged = await app.inject({ method: 'POST', url: '/v1/crop-hints', ...multipart([{ name: 'd.jpg', bytes: (await jpeg(2)).subarray(0, 3_000) }]) });
      expect(damaged.statusCode).toBe(422);
      expect(damaged.json().error.code).toBe('CORRUPT_IMAGE');
      const badAspect = await app.inject({ url: `/v1/images/${'a'.repeat(64)}/crop-hints?aspect=wide`, headers: auth });
      expect(badAspect.statusCode).toBe(400);
    });
  });

  describe('sources on the worker', () => {
    const submitPath = async (path: string) => {
      const submit = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: { images: [{ source: { path } }] } });
      return waitForJob(app, submit.json().jobs[0].id);
    };

    it('refuses path escapes: .., absolute paths outside, symlinked files and directories', async () => {
      for (const path of ['../../etc/passwd', join(root, '..', 'x.jpg'), '/etc/passwd', join(outside, 'secret.jpg'), 'sub/link.jpg', 'linked-dir/secret.jpg']) {
        const job = await submitPath(path);
        expect(job.state, path).toBe('failed');
        expect(job.error?.code, `${path}: ${job.error?.message}`).toBe('INVALID_ARGUMENT');
        expect(job.error?.message, path).toMatch(/outside the allowed roots/);
      }
      expect((await submitPath('inside.jpg')).state).toBe('completed');
    });

    it('retries a transient fault (503 from the source) with backoff, then completes', async () => {
      const submit = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: { images: [{ source: { url: `${images.url}/flaky/2/one` } }] } });
      const job = await waitForJob(app, submit.json().jobs[0].id);
      expect(job.state).toBe('completed');
      expect(job.attempts).toBe(3);
    });

    it('a job that ran out of attempts on a transient fault is retried when submitted again; one failed on its input is not', async () => {
      const source = { url: `${images.url}/flaky/1/two` };
      const data = { source, request: parseAnalyzeRequest({}, config.analysis.aspects) };
      // Added with a single attempt, so the one 503 exhausts it.
      await queues.analyze.add('analyze', data, { jobId: analyzeJobId(data), attempts: 1 });
      const failed = await waitForJob(app, analyzeJobId(data));
      expect(failed).toMatchObject({ state: 'failed', error: { code: 'SOURCE_UNAVAILABLE' } });
      const again = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: { images: [{ source }] } });
      expect(again.json().jobs[0].id).toBe(analyzeJobId(data));
      expect((await waitForJob(app, analyzeJobId(data))).state).toBe('completed');

      const bad = { images: [{ source: { url: `${images.url}/text` }, aspects: ['1:1'] }] };
      const badId = (await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: bad })).json().jobs[0].id as string;
      expect((await waitForJob(app, badId)).state).toBe('failed');
      await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: bad });
      expect(await waitForJob(app, badId)).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'UNSUPPORTED_FORMAT' } });
    });

    it('url jobs: non-image content type 415, missing 404, redirect into loopback is followed only because it is allow-listed, an object stored without a type (binary/octet-stream) is read', async () => {
      const submit = await app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: auth,
        payload: { images: ['/text', '/missing.jpg', '/to-loopback', '/stored-without-type'].map((p) => ({ source: { url: `${images.url}${p}` } })) },
      });
      const [text, missing, redirected, untyped] = await Promise.all((submit.json().jobs as { id: string }[]).map((j) => waitForJob(app, j.id)));
      expect(text?.error?.code).toBe('UNSUPPORTED_FORMAT');
      expect(missing?.error?.code).toBe('NOT_FOUND');
      expect(redirected?.state).toBe('completed');
      expect(untyped?.state).toBe('completed');
    });
  });

  it('clusters a batch into lineages: derivatives of one image together, stored per image and per lineage', async () => {
    const original = await jpeg(4);
    const derivatives = [
      await sharp(original).extract({ left: 40, top: 60, width: 400, height: 300 }).jpeg({ quality: 80 }).toBuffer(),
      await sharp(original).resize(360).modulate({ brightness: 1.08 }).jpeg({ quality: 70 }).toBuffer(),
    ];
    const other = await jpeg(5);
    const all = [original, ...derivatives, other];
    const uploads = await Promise.all(
      all.map(async (bytes) => {
        const submit = await app.inject({ method: 'POST', url: '/v1/crop-hints', headers: { ...auth, 'content-type': 'image/jpeg' }, payload: bytes });
        return submit.json().hash as string;
      }),
    );
    // Sources for the cluster job: the same bytes, now by URL and path where possible.
    await writeFile(join(root, 'derivative-0.jpg'), derivatives[0]!);
    await writeFile(join(root, 'derivative-1.jpg'), derivatives[1]!);
    const submit = await app.inject({
      method: 'POST',
      url: '/v1/clusters',
      headers: auth,
      payload: { images: [{ path: 'inside.jpg' }, { path: 'derivative-0.jpg' }, { path: 'derivative-1.jpg' }, { url: `${images.url}/fixtures/service-5.jpg` }, { path: 'missing.jpg' }] },
    });
    expect(submit.statusCode).toBe(202);
    const job = await waitForJob(app, submit.json().id, 120_000);
    expect(job.state).toBe('completed');
    // The result as the queue holds it: typed in the OpenAPI document, serialized from that type, nothing dropped.
    expect(job.result).toEqual((await queues.cluster.getJob(job.id))?.returnvalue);
    const result = job.result as unknown as {
      images: { source: unknown; hash: string; lineage: string }[];
      lineages: { id: string; members: string[] }[];
      failed: { error: { code: string } }[];
    };
    expect(result.failed.map((f) => f.error.code)).toEqual(['NOT_FOUND']);
    const [hOriginal, hDerived0, hDerived1, hOther] = uploads as [string, string, string, string];
    const lineageOf = (hash: string) => result.lineages.find((l) => l.members.includes(hash))?.id;
    // Each source with its hash and lineage, in the order given (a client that sent URLs could not tell which lineage was whose).
    expect(result.images).toEqual(
      [
        [{ path: 'inside.jpg' }, hOriginal],
        [{ path: 'derivative-0.jpg' }, hDerived0],
        [{ path: 'derivative-1.jpg' }, hDerived1],
        [{ url: `${images.url}/fixtures/service-5.jpg` }, hOther],
      ].map(([source, hash]) => ({ source, hash, lineage: lineageOf(hash as string) })),
    );
    expect(result.lineages.flatMap((l) => l.members).sort()).toEqual([...uploads].sort());
    expect(lineageOf(hDerived0)).toBe(lineageOf(hOriginal));
    expect(lineageOf(hDerived1)).toBe(lineageOf(hOriginal));
    expect(lineageOf(hOther)).not.toBe(lineageOf(hOriginal));

    const lineage = await app.inject({ url: `/v1/lineages/${lineageOf(hOriginal)}`, headers: auth });
    expect(lineage.json().members).toEqual([hOriginal, hDerived0, hDerived1].sort());
    const image = await app.inject({ url: `/v1/images/${hDerived1}`, headers: auth });
    expect(image.json().lineage).toBe(lineageOf(hOriginal));
    expect((await app.inject({ url: '/v1/lineages/lin-0000000000000000', headers: auth })).statusCode).toBe(404);
  }, 150_000);

  it('lists an image deleted while its cluster job runs as failed, and still returns the other lineages', async () => {
    const kept = await readFile(fixture('lineage-chain-a.jpg'));
    const deleted = await readFile(fixture('lineage-unrelated.jpg'));
    // The deleted image's analysis is done before the cluster job starts; the other image's download is
    // held until the delete has landed, so the cluster job reads the lineages after it, every time.
    const held: ServerResponse[] = [];
    let arrived: () => void = () => undefined;
    const requested = new Promise<void>((resolve) => (arrived = resolve));
    const server = createServer((_request, response) => {
      held.push(response);
      arrived();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const upload = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { ...auth, 'content-type': 'image/jpeg' }, payload: deleted });
      expect((await waitForJob(app, upload.json().jobs[0].id)).state).toBe('completed');
      const hash = contentHash(deleted);
      const heldUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/held.jpg`;
      const submit = await app.inject({ method: 'POST', url: '/v1/clusters', headers: auth, payload: { images: [{ upload: hash }, { url: heldUrl }] } });
      expect(submit.statusCode).toBe(202);
      await requested;
      expect((await app.inject({ method: 'DELETE', url: `/v1/images/${hash}`, headers: auth })).statusCode).toBe(200);
      held[0]!.writeHead(200, { 'content-type': 'image/jpeg' }).end(kept);
      const job = await waitForJob(app, submit.json().id, 120_000);
      expect(job.state).toBe('completed');
      const result = job.result as unknown as { images: { hash: string }[]; lineages: { members: string[] }[]; failed: { source: unknown; error: { code: string } }[] };
      expect(result.lineages.map((l) => l.members)).toEqual([[contentHash(kept)]]);
      expect(result.images.map((i) => i.hash)).toEqual([contentHash(kept)]);
      // NOT_FOUND either way: the delete lands after the cluster job submitted the upload's (finished) analysis,
      // or, on a busy machine, before that submission, which then runs it again on bytes already released.
      expect(result.failed).toEqual([{ source: { upload: hash }, error: { code: 'NOT_FOUND', message: expect.stringMatching(/was deleted while the cluster job ran|was deleted \(DELETE \/v1\/images\/:hash\) before this job ran/) } }]);
    } finally {
      for (const response of held) response.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 150_000);

  it('serves Prometheus metrics and the queue dashboard', async () => {
    const metrics = await app.inject({ url: '/metrics', headers: auth });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('artmeta_http_request_duration_seconds_bucket');
    expect(metrics.body).toMatch(/artmeta_job_failures_total\{queue="analyze",code="[A-Z_]+"\} \d+/);
    const dashboard = await app.inject({ url: '/admin/queues', headers: auth });
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.body).toContain('<html');
  });
});
