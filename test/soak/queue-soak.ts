/**
 * `npx tsx test/soak/queue-soak.ts [count]`: 2,000 analyses (default) through the queue against a
 * real redis-server, printing the process RSS and OpenCV's WASM heap as it goes: both must stay
 * flat after warm-up. The worker runs in this process with its analyser on the main thread, which
 * is what lets the WASM heap be read here (the thread pool's heaps are out of reach); queue,
 * store, uploads and job bookkeeping are the production code paths.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { analyzeImage } from '../../analysis/analyze-image.ts';
import { loadConfig } from '../../service/config.ts';
import { loadOpenCV, wasmHeapBytes } from '../../analysis/opencv/runtime.ts';
import { ArtmetaWorker } from '../../service/queue/artmeta-worker.ts';
import type { ImageAnalyzer } from '../../service/queue/image-analyzer.ts';
import { ArtmetaQueues } from '../../service/queue/queues.ts';
import { connectRedis } from '../../service/queue/redis-connection.ts';
import { ResultStore } from '../../service/store/result-store.ts';
import { RedisServer } from '../support/redis-server.ts';

const total = Number(process.argv[2] ?? 2_000);
const BATCH = 200;
const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const sources = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => readFile(join(fixtures, `service-${n}.jpg`))));

/** A distinct small image for every job (so none is served from the store): size and quality vary. */
async function image(i: number): Promise<Buffer> {
  const source = sources[i % sources.length]!;
  return sharp(source)
    .resize({ width: 200 + ((i >> 3) % 200) })
    .jpeg({ quality: 70 + (i % 8) })
    .toBuffer();
}

const mainThreadAnalyzer: ImageAnalyzer = {
  analyze: async (bytes, options) => ({ analysis: await analyzeImage(bytes, options) }),
  close: async () => undefined,
};

const redis = await RedisServer.start();
const config = loadConfig({
  ARTMETA_REDIS_URL: redis.url,
  ARTMETA_PREFIX: '{soak}',
  ARTMETA_CONCURRENCY: '1',
  ARTMETA_KEEP_COMPLETED: '500',
  ARTMETA_LOG_LEVEL: 'warn',
});
await loadOpenCV();
const worker = new ArtmetaWorker(config, { analyzer: mainThreadAnalyzer });
await worker.ready();
const connection = connectRedis(config);
const queues = new ArtmetaQueues(connection, config);
const store = new ResultStore(connection, config.prefix);
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

console.log(`soak: ${total} analyses through the queue, batches of ${BATCH}`);
console.log('done   RSS MB   JS heap MB   WASM heap MB   libvips cache MB   images/s');
const samples: { done: number; rss: number; js: number; heap: number; vips: number }[] = [];
const started = performance.now();
for (let done = 0; done < total; ) {
  const count = Math.min(BATCH, total - done);
  const batchStart = performance.now();
  const ids = [];
  for (let i = done; i < done + count; i++) ids.push(await queues.submitAnalyze({ upload: await store.putUpload(await image(i), 600) }));
  for (;;) {
    const counts = await queues.analyze.getJobCounts('completed', 'failed', 'waiting', 'active');
    if ((counts.waiting ?? 0) + (counts.active ?? 0) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const failed = await queues.analyze.getFailedCount();
  if (failed > 0) throw new Error(`${failed} soak jobs failed`);
  done += count;
  global.gc?.();
  const memory = process.memoryUsage();
  const sample = { done, rss: memory.rss, js: memory.heapUsed, heap: wasmHeapBytes(), vips: sharp.cache().memory.current * 2 ** 20 };
  samples.push(sample);
  console.log(`${String(done).padStart(4)}   ${mb(sample.rss).padStart(6)}   ${mb(sample.js).padStart(10)}   ${mb(sample.heap).padStart(12)}   ${mb(sample.vips).padStart(16)}   ${(count / ((performance.now() - batchStart) / 1000)).toFixed(1).padStart(8)}`);
}
const afterWarmUp = samples[1] ?? samples[0]!;
const last = samples[samples.length - 1]!;
console.log(
  `after warm-up (${afterWarmUp.done}) → end (${last.done}): RSS ${mb(afterWarmUp.rss)} → ${mb(last.rss)} MB (${mb(last.rss - afterWarmUp.rss)} MB), ` +
    `WASM heap ${mb(afterWarmUp.heap)} → ${mb(last.heap)} MB (${mb(last.heap - afterWarmUp.heap)} MB); ${(total / ((performance.now() - started) / 1000)).toFixed(1)} images/s overall`,
);
await queues.close();
await connection.quit();
await worker.close();
await redis.stop();
