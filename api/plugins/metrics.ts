import type { QueueEvents } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { parseJobFailure } from '../../service/queue/job-failure.ts';
import type { ArtmetaQueues } from '../../service/queue/queues.ts';

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;

/**
 * Prometheus metrics at /metrics: HTTP requests (by route), queue depth per state (read from Redis
 * at scrape time), job durations and failures by code (from the queues' event streams).
 */
export function installMetrics(app: FastifyInstance, queues: ArtmetaQueues, events: Record<string, QueueEvents>): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const http = new Histogram({
    name: 'artmeta_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'artmeta_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      for (const queue of [queues.analyze, queues.cluster]) {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });
  const durations = new Histogram({
    name: 'artmeta_job_duration_seconds',
    help: 'Time from a job starting to finishing, by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'artmeta_job_failures_total',
    help: 'Failed job attempts by queue and error code',
    labelNames: ['queue', 'code'] as const,
    registers: [registry],
  });

  for (const [name, queueEvents] of Object.entries(events)) {
    const queue = name === queues.cluster.name ? queues.cluster : queues.analyze;
    const observe = async (jobId: string, outcome: 'completed' | 'failed') => {
      const job = await queue.getJob(jobId);
      if (job?.processedOn && job.finishedOn) durations.observe({ queue: name, outcome }, (job.finishedOn - job.processedOn) / 1000);
    };
    queueEvents.on('completed', ({ jobId }) => void observe(jobId, 'completed').catch(() => undefined));
    queueEvents.on('failed', ({ jobId, failedReason }) => {
      failures.inc({ queue: name, code: parseJobFailure(failedReason).code });
      void observe(jobId, 'failed').catch(() => undefined);
    });
  }

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    http.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  return registry;
}
