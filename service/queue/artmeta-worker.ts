import { Worker, type QueueEvents } from 'bullmq';
import type { Logger } from 'pino';
import type { ArtmetaConfig } from '../config.ts';
import { releaseUpload, runAnalyzeJob } from './analyze-job.ts';
import { runClusterJob } from './cluster-job.ts';
import { threadedAnalyzer, type ImageAnalyzer } from './image-analyzer.ts';
import { imageLoader } from './image-loader.ts';
import { ANALYZE_QUEUE, CLUSTER_QUEUE, type AnalyzeJobData, type AnalyzeJobResult, type ClusterJobData, type ClusterJobResult } from './job-schema.ts';
import { ArtmetaQueues } from './queues.ts';
import { connectRedis, isRedisConnectionError, refusedDatabase, type RedisClient } from './redis-connection.ts';
import { logOutages } from './redis-outage-log.ts';
import { AnalysisCache } from '../store/analysis-cache.ts';
import { ResultStore } from '../store/result-store.ts';
import { CatalogueAssigner } from '../catalogue/catalogue-assigner.ts';

export interface ArtmetaWorkerOptions {
  /** Analyser to use; default: a worker-thread pool of `config.worker.analysisThreads`. */
  analyzer?: ImageAnalyzer;
  logger?: Logger;
}

/**
 * One worker process's share of the queues: analyze jobs (`config.worker.concurrency` at a time,
 * CPU work on threads) and cluster jobs. Any number of these, on any number of machines, can run
 * against one Redis; `close()` finishes the running jobs and stops taking new ones.
 */
export class ArtmetaWorker {
  private readonly analyzeWorker: Worker<AnalyzeJobData, AnalyzeJobResult>;
  private readonly clusterWorker: Worker<ClusterJobData, ClusterJobResult>;
  private readonly queues: ArtmetaQueues;
  private readonly events: QueueEvents;
  private readonly analyzer: ImageAnalyzer;
  private readonly connections: RedisClient[] = [];
  /** The store's and the catalogue's connection: its state tells whether Redis is there at close. */
  private readonly connection: RedisClient;
  private readonly redisUrl: string;
  /** Jobs of either queue whose processing has started and not ended. */
  private running = 0;

  constructor(config: ArtmetaConfig, options: ArtmetaWorkerOptions = {}) {
    this.redisUrl = config.redis.url;
    const connection = (this.connection = this.connect(config));
    const store = new ResultStore(connection, config.prefix);
    this.analyzer = options.analyzer ?? threadedAnalyzer(config.worker.analysisThreads);
    this.queues = new ArtmetaQueues(this.connect(config), config);
    this.events = this.queues.analyzeEvents();
    const cache = new AnalysisCache(store, this.analyzer, imageLoader(config, store), config.analysis);
    const catalogue = new CatalogueAssigner(connection, config.prefix, store);
    const workerOptions = {
      prefix: config.prefix,
      lockDuration: config.worker.lockMs,
      stalledInterval: config.worker.lockMs,
      removeOnComplete: { count: config.jobs.keepCompleted, age: config.jobs.keepSeconds },
      removeOnFail: { count: config.jobs.keepFailed, age: config.jobs.keepSeconds },
    };
    this.analyzeWorker = new Worker(ANALYZE_QUEUE, (job) => this.counted(() => runAnalyzeJob(job, cache, catalogue)), {
      ...workerOptions,
      connection: this.connect(config),
      concurrency: config.worker.concurrency,
    });
    this.clusterWorker = new Worker(
      CLUSTER_QUEUE,
      (job) =>
        this.counted(() =>
          runClusterJob(job, {
            queues: this.queues,
            events: this.events,
            catalogue: catalogue.index,
            analysisTimeoutMs: config.worker.analysisTimeoutMs,
          }),
        ),
      { ...workerOptions, connection: this.connect(config), concurrency: config.worker.clusterConcurrency },
    );
    this.analyzeWorker.on('completed', (job) => void releaseUpload(job, store));
    const log = options.logger;
    if (log) logOutages(connection, log);
    for (const worker of [this.analyzeWorker, this.clusterWorker] as Worker[]) {
      worker.on('failed', (job, error) => log?.warn({ queue: worker.name, jobId: job?.id, err: error.message }, 'job failed'));
      // A Redis outage is one line from logOutages, not one per failed command.
      worker.on('error', (error) => {
        // The worker carries on after these (a lock lost to an outage: the job runs again elsewhere).
        if (!isRedisConnectionError(error)) log?.warn({ queue: worker.name, err: error.message }, 'worker error');
      });
    }
  }

  /** Resolves once both queue workers are connected and taking jobs; rejects when Redis refuses the configured database. */
  async ready(): Promise<void> {
    await Promise.race([
      Promise.all([this.analyzeWorker.waitUntilReady(), this.clusterWorker.waitUntilReady(), this.events.waitUntilReady()]),
      ...this.connections.map((c) => refusedDatabase(c, this.redisUrl)),
    ]);
  }

  /**
   * Graceful stop: waits for running jobs, then closes threads and connections. With no job running
   * while Redis is away, stops at once: there is nothing to finish or acknowledge, and BullMQ's
   * closes wait for Redis to answer, for ever while it is away (taskforcesh/bullmq#4656), which left
   * an idle worker to the shutdown deadline (exit 1, "running work did not finish in time").
   */
  async close(): Promise<void> {
    const workersClosed = Promise.all([this.analyzeWorker.close(), this.clusterWorker.close()]);
    if (this.running === 0 && this.connection.status !== 'ready') {
      // Left pending: they resolve if Redis comes back before the process ends, and report nothing else.
      void workersClosed.catch(() => undefined);
      await this.analyzer.close();
      for (const c of this.connections) c.disconnect();
      return;
    }
    await workersClosed;
    await Promise.all([this.events.close(), this.queues.close()]);
    await this.analyzer.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => undefined)));
  }

  /** Runs a job's processing, counted in `running` while it runs. */
  private async counted<T>(run: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await run();
    } finally {
      this.running--;
    }
  }

  private connect(config: ArtmetaConfig): RedisClient {
    const connection = connectRedis(config);
    this.connections.push(connection);
    return connection;
  }
}
