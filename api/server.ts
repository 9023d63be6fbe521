import type { FastifyInstance } from 'fastify';
import type { ArtmetaConfig } from '../worker/config.ts';
import { threadedAnalyzer } from '../worker/queue/image-analyzer.ts';
import { ArtmetaQueues } from '../worker/queue/queues.ts';
import { connectRedis } from '../worker/queue/redis-connection.ts';
import { ResultStore } from '../worker/queue/result-store.ts';
import { buildApp } from './app.ts';

export interface RunningServer {
  app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:8080. */
  address: string;
  close(): Promise<void>;
}

/** Connects to Redis, builds the API and listens; `close()` drains requests, then disconnects. */
export async function startServer(config: ArtmetaConfig): Promise<RunningServer> {
  // Requests should fail fast (503) while Redis is away instead of waiting for it.
  const redis = connectRedis(config, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  const queueConnection = connectRedis(config);
  const queues = new ArtmetaQueues(queueConnection, config);
  const events = { [queues.analyze.name]: queues.analyzeEvents(), [queues.cluster.name]: queues.clusterEvents() };
  const analyzer = threadedAnalyzer(config.api.analysisThreads);
  const app = await buildApp(config, { redis, store: new ResultStore(redis, config.prefix), queues, analyzer, events });
  app.addHook('onClose', async () => {
    await Promise.all(Object.values(events).map((e) => e.close()));
    await queues.close();
    await analyzer.close();
    await Promise.all([redis.quit(), queueConnection.quit()].map((p) => p.catch(() => undefined)));
  });
  await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve())));
  const address = await app.listen({ host: config.api.host, port: config.api.port });
  return { app, address, close: () => app.close() };
}
