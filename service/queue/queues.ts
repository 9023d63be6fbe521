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
import { ResultStore } from '../store/result-store.ts';
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
  /** Whether a completed job's image is still stored (`rerunIfStale`). */
  private readonly store: ResultStore;

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
    this.store = new ResultStore(connection, config.prefix);
  }

  /**
   * Adds an analysis; the same image with the same options keeps its one job. A finished job
   * submitted again runs again when its outcome may no longer hold (`rerunIfStale`).
   */
  async submitAnalyze(source: ImageSource, request: AnalyzeRequest = this.defaultRequest): Promise<string> {
    const data: AnalyzeJobData = { source, request };
    const id = analyzeJobId(data);
    await this.analyze.add('analyze', data, { jobId: id });
    const state = await this.analyze.getJobState(id);
    if (state === 'completed' || state === 'failed') await this.rerunIfStale(id, state);
    return id;
  }

  /**
   * Runs a finished job again when its outcome may not hold any more. A path or a URL names a place,
   * not bytes: the file may have been replaced or have appeared since, the URL may serve another
   * picture (the re-run of unchanged bytes is a read and a hash, answered from the store). An
   * upload's analysis may have been deleted from the store (DELETE /v1/images/:hash), and its old
   * result would name an image neither the store nor the catalogue has. An upload whose bytes had
   * expired before a worker took its job (NOT_FOUND) has them again when they are uploaded again. A
   * job that ran out of attempts on a transient fault is retried. An upload that failed on its bytes
   * stays failed: the same bytes fail the same way.
   */
  private async rerunIfStale(id: string, state: 'completed' | 'failed'): Promise<void> {
    const job = await this.analyze.getJob(id);
    if (!job) return;
    const namesAPlace = !('upload' in job.data.source);
    const failure = state === 'failed' ? parseJobFailure(job.failedReason).code : undefined;
    const outdated =
      namesAPlace ||
      failure === 'NOT_FOUND' ||
      (state === 'completed' && job.returnvalue !== null && !(await this.store.has(job.returnvalue.hash)));
    if (!outdated && !(failure !== undefined && isTransientFailure(failure))) return;
    // A run for what may be new bytes starts its attempts anew: re-run after re-run would use them up.
    await job.retry(state, { resetAttemptsMade: outdated }).catch(async (e: unknown) => {
      // Another submission re-ran it first: the job is on its way again, as this one asked.
      if ((await this.analyze.getJobState(id)) === state) throw e;
    });
  }

  async submitCluster(data: ClusterJobData): Promise<string> {
    const job = await this.cluster.add('cluster', data);
    // An assertion: BullMQ names every job it adds (its own id when none is given).
    if (!job.id) throw new Error('assertion failed: BullMQ gave the cluster job no id (a bug, never expected)');
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
