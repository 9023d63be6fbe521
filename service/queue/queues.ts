import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import type { ArtmetaConfig } from '../config.ts';
import { isTransientFailure, parseJobFailure } from './job-failure.ts';
import { analyzeJobId } from './job-id.ts';
import {
  ANALYZE_QUEUE,
  CLUSTER_QUEUE,
  type AnalyzeJobData,
  type AnalyzeJobResult,
  type ClusterJobData,
  type ClusterJobResult,
  type ImageSource,
} from './job-schema.ts';
import { parseAnalyzeRequest, type AnalyzeRequest } from '../request/analyze-request.ts';
import { Redis } from 'ioredis';
import type { RedisClient } from './redis-connection.ts';

export type AnalyzeQueue = Queue<AnalyzeJobData, AnalyzeJobResult>;
export type ClusterQueue = Queue<ClusterJobData, ClusterJobResult>;

type JobsConfig = Pick<ArtmetaConfig, 'jobs' | 'prefix' | 'analysis'>;

/** Retries with exponential backoff, bounded retention of finished jobs. */
function defaultJobOptions(config: JobsConfig): JobsOptions {
  const { attempts, backoffMs, keepCompleted, keepFailed, keepSeconds } = config.jobs;
  return {
    attempts,
    backoff: { type: 'exponential', delay: backoffMs },
    removeOnComplete: { count: keepCompleted, age: keepSeconds },
    removeOnFail: { count: keepFailed, age: keepSeconds },
  };
}

/** The producer side: what the API and `artmeta submit` add jobs to. */
export class ArtmetaQueues {
  readonly analyze: AnalyzeQueue;
  readonly cluster: ClusterQueue;
  private readonly eventConnections: RedisClient[] = [];
  /** The request of a submission that gives no options: the configured canvases, text included. */
  private readonly defaultRequest: AnalyzeRequest;

  constructor(
    readonly connection: RedisClient,
    private readonly config: JobsConfig,
  ) {
    const options = { connection, prefix: config.prefix, defaultJobOptions: defaultJobOptions(config) };
    this.analyze = new Queue(ANALYZE_QUEUE, options);
    this.cluster = new Queue(CLUSTER_QUEUE, options);
    // Without a listener BullMQ prints every connection error with its stack; the commands that
    // fail reject where they are awaited, and the outage itself is logged once (logOutages).
    for (const queue of [this.analyze, this.cluster] as Queue[]) queue.on('error', () => undefined);
    this.defaultRequest = parseAnalyzeRequest({}, config.analysis.aspects);
  }

  /**
   * Adds an analysis; the same image with the same options keeps its one job. Submitting again
   * a job that ran out of attempts on a transient fault (source down…) retries it; one that
   * failed on its input stays failed.
   */
  async submitAnalyze(source: ImageSource, request: AnalyzeRequest = this.defaultRequest): Promise<string> {
    const data: AnalyzeJobData = { source, request };
    const id = analyzeJobId(data);
    await this.analyze.add('analyze', data, { jobId: id });
    if ((await this.analyze.getJobState(id)) === 'failed') {
      const job = await this.analyze.getJob(id);
      if (job && isTransientFailure(parseJobFailure(job.failedReason).code)) await job.retry('failed');
    }
    return id;
  }

  async submitCluster(data: ClusterJobData): Promise<string> {
    const job = await this.cluster.add('cluster', data);
    if (!job.id) throw new Error('BullMQ gave the cluster job no id');
    return job.id;
  }

  /** Queue events of the analyze queue, for waiting on jobs (`job.waitUntilFinished`). */
  analyzeEvents(): QueueEvents {
    return this.events(ANALYZE_QUEUE);
  }

  clusterEvents(): QueueEvents {
    return this.events(CLUSTER_QUEUE);
  }

  private events(queue: string): QueueEvents {
    // QueueEvents blocks on its connection, so it gets one of its own, which waits through outages
    // even when the producer's connection fails fast (the API's).
    const connection = this.connection instanceof Redis ? this.connection.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true }) : this.connection.duplicate();
    connection.on('error', () => undefined); // reconnects by itself, like the original
    this.eventConnections.push(connection);
    const events = new QueueEvents(queue, { connection, prefix: this.config.prefix });
    events.on('error', () => undefined);
    return events;
  }

  async close(): Promise<void> {
    await Promise.all([this.analyze.close(), this.cluster.close()]);
    await Promise.all(this.eventConnections.map((c) => c.quit().catch(() => undefined)));
  }
}
