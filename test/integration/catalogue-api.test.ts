import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { connectAppDeps } from '../../api/app-deps.ts';
import type { ArtmetaConfig } from '../../service/config.ts';
import { decodeSignature, SIGNATURE_VERSION } from '../../analysis/lineage/signature-codec.ts';
import { ArtmetaWorker } from '../../service/queue/artmeta-worker.ts';
import { contentHash } from '../../service/queue/job-id.ts';
import { threadedAnalyzer } from '../../service/queue/image-analyzer.ts';
import { imageLoader } from '../../service/queue/image-loader.ts';
import { connectRedis } from '../../service/queue/redis-connection.ts';
import { parseAnalyzeRequest } from '../../service/request/analyze-request.ts';
import { AnalysisCache, stageUpload } from '../../service/store/analysis-cache.ts';
import { ResultStore } from '../../service/store/result-store.ts';
import { API_KEY, fixture, multipart, testConfig, testEnv, waitForJob } from './service-harness.ts';

const auth = { 'x-api-key': API_KEY };

describe('the lineage catalogue through the API, two workers', () => {
  let config: ArtmetaConfig;
  let app: FastifyInstance;
  let closeDeps: () => Promise<void>;
  let workers: ArtmetaWorker[];

  beforeAll(async () => {
    config = testConfig(testEnv(inject('redisUrl')));
    workers = [new ArtmetaWorker(config), new ArtmetaWorker(config)];
    await Promise.all(workers.map((w) => w.ready()));
    const deps = await connectAppDeps(config);
    closeDeps = deps.close;
    app = await buildApp(config, { ...deps, logger: false });
  });

  afterAll(async () => {
    await app?.close();
    await closeDeps?.();
    await Promise.all((workers ?? []).map((w) => w.close()));
  });

  it('derivatives submitted at once end in one lineage; images and lineages read back exactly; deletes keep the id', async () => {
    const original = await readFile(fixture('lineage-china.jpg'));
    const crop = await readFile(fixture('lineage-china-crop-title.jpg'));
    const graded = await sharp(original).resize(300).modulate({ brightness: 1.1, saturation: 0.8 }).jpeg({ quality: 70 }).toBuffer();
    const other = await readFile(fixture('lineage-unrelated.jpg'));
    const all = [original, crop, graded, other];
    const submit = await app.inject({ method: 'POST', url: '/v1/jobs', ...multipart(all.map((bytes, k) => ({ name: `${k}.jpg`, bytes }))) });
    expect(submit.statusCode).toBe(202);
    const jobs = await Promise.all((submit.json().jobs as { id: string }[]).map((j) => waitForJob(app, j.id)));
    const lineages = jobs.map((j) => (j.result as { lineage?: string }).lineage);
    const [hOriginal, hCrop, hGraded, hOther] = all.map((b) => contentHash(b)) as [string, string, string, string];
    expect(lineages[1]).toBe(lineages[0]);
    expect(lineages[2]).toBe(lineages[0]);
    expect(lineages[3]).not.toBe(lineages[0]);
    const id = lineages[0]!;

    const image = await app.inject({ url: `/v1/images/${hCrop}`, headers: auth });
    expect(image.statusCode).toBe(200);
    expect(Object.keys(image.json()).sort()).toEqual(['analysis', 'hash', 'lineage']);
    expect(image.json()).toMatchObject({ hash: hCrop, lineage: id });
    const lineage = await app.inject({ url: `/v1/lineages/${id}`, headers: auth });
    expect(lineage.json().members).toEqual([hOriginal, hCrop, hGraded].sort());
    expect([hOriginal, hCrop, hGraded]).toContain(lineage.json().representative);

    const removed = await app.inject({ method: 'DELETE', url: `/v1/images/${hCrop}`, headers: auth });
    expect(removed.json()).toEqual({ hash: hCrop, lineage: id, lineageRemoved: false });
    expect((await app.inject({ url: `/v1/images/${hCrop}`, headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ url: `/v1/lineages/${id}`, headers: auth })).json().members).toEqual([hOriginal, hGraded].sort());
    expect((await app.inject({ method: 'DELETE', url: `/v1/images/${hCrop}`, headers: auth })).statusCode).toBe(404);

    const last = await app.inject({ method: 'DELETE', url: `/v1/images/${hOther}`, headers: auth });
    expect(last.json()).toMatchObject({ lineageRemoved: true });
    expect((await app.inject({ url: `/v1/lineages/${lineages[3]}`, headers: auth })).statusCode).toBe(404);

    // Submitted again, the deleted derivative joins its lineage under the same id.
    const again = await app.inject({ method: 'POST', url: '/v1/jobs', ...multipart([{ name: 'crop.jpg', bytes: crop }]) });
    const rejoined = await waitForJob(app, (again.json().jobs as { id: string }[])[0]!.id);
    expect((rejoined.result as { lineage?: string }).lineage).toBe(id);
    // Analysed and assigned again, not the retained result of the deleted one (it stayed 404).
    expect((await app.inject({ url: `/v1/images/${hCrop}`, headers: auth })).json()).toMatchObject({ hash: hCrop, lineage: id });
    expect((await app.inject({ url: `/v1/lineages/${id}`, headers: auth })).json().members).toEqual([hOriginal, hCrop, hGraded].sort());
  }, 120_000);

  it('an image stored with a signature of an older build is analysed again when submitted, not failed with STALE_SIGNATURE', async () => {
    const bytes = await sharp(await readFile(fixture('lineage-moment-first.jpg'))).resize(320).jpeg({ quality: 80 }).toBuffer();
    const hash = contentHash(bytes);
    const connection = connectRedis(config);
    const store = new ResultStore(connection, config.prefix);
    try {
      const first = await app.inject({ method: 'POST', url: '/v1/jobs', ...multipart([{ name: 'a.jpg', bytes }]) });
      await waitForJob(app, (first.json().jobs as { id: string }[])[0]!.id);
      // What an older build left: the analysis, and a signature of the previous format version, not in the catalogue.
      const [current] = await store.signatures([hash]);
      const old = Buffer.from(current!, 'base64');
      old[4] = SIGNATURE_VERSION - 1;
      const analysis = (await store.getAnalysis(hash))!;
      await app.inject({ method: 'DELETE', url: `/v1/images/${hash}`, headers: auth });
      await store.save(hash, analysis, old.toString('base64'));

      const again = await app.inject({ method: 'POST', url: '/v1/jobs?aspect=3:2', headers: { ...auth, 'content-type': 'image/jpeg' }, payload: bytes });
      const job = await waitForJob(app, (again.json().jobs as { id: string }[])[0]!.id);
      expect(job.error).toBeUndefined();
      expect(job.result).toMatchObject({ hash, cached: false });
      expect((job.result as { lineage?: string }).lineage).toMatch(/^lin-/);
      const [resigned] = await store.signatures([hash]);
      expect(decodeSignature(Buffer.from(resigned!, 'base64')).contentHash).toBeTruthy();
    } finally {
      await connection.quit();
    }
  }, 120_000);

  it('an image deleted between a re-submission of its upload and the job says so, not only that the upload expired', async () => {
    const bytes = await sharp(await readFile(fixture('lineage-moment-later.jpg'))).resize(300).jpeg({ quality: 80 }).toBuffer();
    const hash = contentHash(bytes);
    const first = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { ...auth, 'content-type': 'image/jpeg' }, payload: bytes });
    expect((await waitForJob(app, (first.json().jobs as { id: string }[])[0]!.id)).state).toBe('completed');
    const connection = connectRedis(config);
    const store = new ResultStore(connection, config.prefix);
    const analyzer = threadedAnalyzer(1);
    try {
      // Re-submitted: the stored analysis answers it, so its bytes are not kept; then the image is deleted.
      expect(await stageUpload(store, bytes, 3600)).toBe(hash);
      expect((await app.inject({ method: 'DELETE', url: `/v1/images/${hash}`, headers: auth })).statusCode).toBe(200);
      const cache = new AnalysisCache(store, analyzer, imageLoader(config, store), config.analysis);
      await expect(cache.forSource({ upload: hash }, parseAnalyzeRequest({ aspects: ['2:1'] }, config.analysis.aspects))).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: expect.stringContaining('or its image was deleted (DELETE /v1/images/:hash) before this job ran; upload it again'),
      });
    } finally {
      await analyzer.close();
      await connection.quit();
    }
  }, 120_000);
});
