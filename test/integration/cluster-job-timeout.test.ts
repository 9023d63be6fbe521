import type { Job } from 'bullmq';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { lineageMatcher } from '../../analysis/lineage/lineage-matcher.ts';
import { CatalogueIndex } from '../../service/catalogue/catalogue-index.ts';
import { runClusterJob } from '../../service/queue/cluster-job.ts';
import type { ClusterJobData } from '../../service/queue/job-schema.ts';
import { ArtmetaQueues } from '../../service/queue/queues.ts';
import { connectRedis } from '../../service/queue/redis-connection.ts';
import { testConfig, testEnv } from './service-harness.ts';

describe('a cluster job whose wait for an analysis runs out (no worker takes it here)', () => {
  const config = testConfig(testEnv(inject('redisUrl')));
  const connection = connectRedis(config);
  const queues = new ArtmetaQueues(connection, config);
  const events = queues.analyzeEvents();

  afterAll(async () => {
    await events.close();
    await queues.close();
    await connection.quit();
  });

  it('lists the image as TIMED_OUT, a code of its own (it was INTERNAL with BullMQ\'s words)', async () => {
    await events.waitUntilReady();
    const source = { path: '/nowhere/image.jpg' };
    const job = { data: { images: [source] }, updateProgress: () => Promise.resolve() } as unknown as Job<ClusterJobData>;
    const result = await runClusterJob(job, { queues, events, catalogue: new CatalogueIndex(connection, config.prefix, lineageMatcher()), analysisTimeoutMs: 300 });
    expect(result).toEqual({
      images: [],
      lineages: [],
      failed: [{ source, error: { code: 'TIMED_OUT', message: expect.stringContaining('ARTMETA_ANALYSIS_TIMEOUT_MS (300 ms)') } }],
    });
  });
});
