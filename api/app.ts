import multipart from '@fastify/multipart';
import type { QueueEvents } from 'bullmq';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ArtmetaConfig } from '../service/config.ts';
import type { ImageAnalyzer } from '../service/queue/image-analyzer.ts';
import type { ArtmetaQueues } from '../service/queue/queues.ts';
import type { RedisClient } from '../service/queue/redis-connection.ts';
import { imageLoader } from '../service/queue/image-loader.ts';
import { AnalysisCache } from '../service/store/analysis-cache.ts';
import type { ResultStore } from '../service/store/result-store.ts';
import type { CatalogueIndex } from '../service/catalogue/catalogue-index.ts';
import { installApiKeyAuth } from './plugins/auth.ts';
import { installDashboard } from './plugins/dashboard.ts';
import { installDocs } from './plugins/docs.ts';
import { frameworkErrorAnswer, installErrorHandling } from './plugins/errors.ts';
import { installMetrics } from './plugins/metrics.ts';
import { cropHintRoutes } from './routes/crop-hints.ts';
import { ErrorBodySchema } from './routes/error-schema.ts';
import { healthRoutes } from './routes/health.ts';
import { imageRoutes } from './routes/images.ts';
import { jobRoutes } from './routes/jobs.ts';
import { renderRoutes } from './routes/render.ts';

/** What the API talks to; `api/server.ts` makes the real ones, tests may pass their own. */
export interface AppDeps {
  /** Connection for the store and readiness checks; should fail fast while Redis is down. */
  redis: RedisClient;
  store: ResultStore;
  /** The lineage catalogue: image → lineage, lineage → members, deletes. */
  catalogue: CatalogueIndex;
  queues: ArtmetaQueues;
  /** Analyses unknown images for POST /v1/crop-hints. */
  analyzer: ImageAnalyzer;
  /** Event streams of the queues by name, for job metrics; none = no job-duration metrics. */
  events?: Record<string, QueueEvents>;
  logger?: boolean | { level: string };
}

/** The artmeta HTTP API, ready for `listen` or `inject`. */
export async function buildApp(config: ArtmetaConfig, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? { level: config.logLevel },
    // JSON bodies are small (sources, options); images come as uploads with their own limit.
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false } },
    frameworkErrors: frameworkErrorAnswer,
  });
  installErrorHandling(app, () => deps.redis.status === 'ready');
  installApiKeyAuth(app, config.api.apiKeys);
  app.addSchema(ErrorBodySchema);
  await app.register(multipart, { limits: { fileSize: config.api.uploadMaxBytes, files: 1_000 }, throwFileSizeLimit: true });
  app.addContentTypeParser(/^(image\/[\w.+-]+|application\/octet-stream)$/, { parseAs: 'buffer', bodyLimit: config.api.uploadMaxBytes }, (_request, body, done) =>
    done(null, body),
  );
  await installDocs(app);
  installMetrics(app, deps.queues, deps.events ?? {});
  await installDashboard(app, deps.queues);

  const cache = new AnalysisCache(deps.store, deps.analyzer, imageLoader(config, deps.store), config.analysis);
  await app.register(healthRoutes, { redis: deps.redis });
  await app.register(jobRoutes, { config, queues: deps.queues, store: deps.store });
  await app.register(cropHintRoutes, { cache, defaultCanvases: config.analysis.aspects });
  await app.register(imageRoutes, { store: deps.store, catalogue: deps.catalogue });
  await app.register(renderRoutes, { config, store: deps.store, cache });
  return app;
}
