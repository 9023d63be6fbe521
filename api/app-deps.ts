import type { ArtmetaConfig } from '../service/config.ts';
import { threadedAnalyzer, type ImageAnalyzer } from '../service/queue/image-analyzer.ts';
import { ArtmetaQueues } from '../service/queue/queues.ts';
import { connectRedis, untilReady } from '../service/queue/redis-connection.ts';
import { logOutages, type OutageLog } from '../service/queue/redis-outage-log.ts';
import { ResultStore } from '../service/store/result-store.ts';
import { lineageMatcher } from '../analysis/lineage/lineage-matcher.ts';
import { CatalogueIndex } from '../service/catalogue/catalogue-index.ts';
import type { AppDeps } from './app.ts';

/** How long `artmeta serve` waits for Redis at start: a Redis started beside it (compose, systemd) may still be loading. */
const API_REDIS_WAIT_MS = 10_000;

/**
 * The real dependencies of the API for a configuration, and how to release them. `log` gets the
 * connection's state changes (logOutages), the wait at start included: `serve` says it waits for
 * Redis instead of staying silent for up to API_REDIS_WAIT_MS.
 */
export async function connectAppDeps(config: ArtmetaConfig, analyzer?: ImageAnalyzer, log?: OutageLog): Promise<AppDeps & { close: () => Promise<void> }> {
  // Requests fail fast (503) while Redis is away instead of waiting for it: the store, the probes
  // and the queues (as producers) share one connection without an offline queue.
  const redis = connectRedis(config, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  if (log) logOutages(redis, log);
  await untilReady(redis, config.redis.url, API_REDIS_WAIT_MS);
  // Only once Redis answers: the queue events' own connections and the analysis threads would keep
  // a process whose start failed up, serving nothing (BullMQ's close of queue events waits for a
  // connection that never became ready).
  const queues = new ArtmetaQueues(redis, config);
  const events = { [queues.analyze.name]: queues.analyzeEvents(), [queues.cluster.name]: queues.clusterEvents() };
  const imageAnalyzer = analyzer ?? threadedAnalyzer(config.api.analysisThreads);
  return {
    redis,
    store: new ResultStore(redis, config.prefix),
    catalogue: new CatalogueIndex(redis, config.prefix, lineageMatcher()),
    queues,
    analyzer: imageAnalyzer,
    events,
    close: async () => {
      await Promise.all(Object.values(events).map((e) => e.close()));
      await queues.close();
      await imageAnalyzer.close();
      await redis.quit().catch(() => undefined);
    },
  };
}
