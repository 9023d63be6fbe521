import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { lineageMatcher } from '../../analysis/lineage/lineage-matcher.ts';
import { encodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { CatalogueChecker } from '../../service/catalogue/catalogue-checker.ts';
import { CatalogueIndex } from '../../service/catalogue/catalogue-index.ts';
import { fixtureSignatures, syntheticLineages } from '../support/catalogue-fixtures.ts';
import { RedisServer } from '../support/redis-server.ts';

const repo = new URL('../../', import.meta.url).pathname;

describe('catalogue index under faults', () => {
  const matcher = lineageMatcher();
  let bases: ImageSignature[];
  const work = mkdtempSync(join(tmpdir(), 'artmeta-catalogue-faults-'));

  beforeAll(async () => {
    const signatures = await fixtureSignatures(['lineage-china.jpg', 'lineage-china-crop-title.jpg']);
    bases = [...signatures.values()];
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('a worker killed with SIGKILL mid-assignment leaves a consistent index, and a retry finishes it', async () => {
    const redis = new Redis(inject('redisUrl'));
    const prefix = `{cat-kill-${process.pid}}`;
    const images = syntheticLineages(bases, 40, 11).flat();
    const file = join(work, 'images.json');
    writeFileSync(file, JSON.stringify(images.map((i) => ({ hash: i.hash, signature: Buffer.from(encodeSignature(i.signature)).toString('base64') }))));
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'test/support/catalogue-assign-child.ts'), inject('redisUrl'), prefix, file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (/assigned (2\d|[3-9]\d)\b/.test(chunk.toString())) resolve();
      });
      child.once('exit', (code) => reject(new Error(`child exited with ${code} before it was killed`)));
    });
    child.kill('SIGKILL');
    await exited;
    const checker = new CatalogueChecker(redis, prefix, matcher.tables);
    const afterKill = await checker.check();
    expect(afterKill.problems).toEqual([]);
    expect(afterKill.images).toBeGreaterThanOrEqual(20);
    expect(afterKill.images).toBeLessThan(images.length);

    // The jobs of the killed worker run again: every image ends in exactly one lineage, pairs together.
    const index = new CatalogueIndex(redis, prefix, matcher);
    const lineages = await Promise.all(images.map((i) => index.assign(i.hash, i.signature)));
    for (let k = 0; k < lineages.length; k += 2) expect(lineages[k + 1]!.lineage).toBe(lineages[k]!.lineage);
    expect(await checker.check()).toMatchObject({ images: images.length, lineages: images.length / 2, problems: [] });
    await redis.quit();
  }, 60_000);

  it('a Redis killed with SIGKILL and restarted (AOF) leaves a consistent index that takes assignments again', async () => {
    const server = await RedisServer.start(undefined, ['--appendonly', 'yes', '--appendfsync', 'always']);
    const prefix = '{cat-restart}';
    const connect = () => {
      const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
      client.on('error', () => undefined);
      return client;
    };
    const [first, second, reader] = [connect(), connect(), connect()];
    try {
      const images = syntheticLineages(bases, 30, 13);
      const indexes = [new CatalogueIndex(first, prefix, matcher), new CatalogueIndex(second, prefix, matcher)];
      // Two assigners, each taking one member of every lineage, while Redis is killed and restarted.
      const running = images.map(([a, b]) => Promise.all([indexes[0]!.assign(a!.hash, a!.signature), indexes[1]!.assign(b!.hash, b!.signature)]));
      await new Promise((resolve) => setTimeout(resolve, 150));
      await server.kill('SIGKILL');
      await server.launch();
      const results = await Promise.all(running);
      expect(results.filter(([x, y]) => x.lineage !== y.lineage)).toEqual([]);
      expect(await new CatalogueChecker(reader, prefix, matcher.tables).check()).toMatchObject({ images: 60, lineages: 30, problems: [] });
    } finally {
      await Promise.all([first, second, reader].map((c) => c.quit().catch(() => undefined)));
      await server.stop();
    }
  }, 60_000);
});
