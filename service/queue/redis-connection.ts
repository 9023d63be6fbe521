import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ArtmetaConfig } from '../config.ts';

export type RedisClient = Redis | Cluster;

/**
 * A Redis connection as BullMQ needs it: commands wait through reconnects instead of failing
 * (`maxRetriesPerRequest: null`), so a Redis restart pauses workers rather than losing jobs.
 * With `cluster: true` the URL names one seed node of a Redis Cluster.
 */
export function connectRedis(config: Pick<ArtmetaConfig, 'redis'>, options: RedisOptions = {}): RedisClient {
  const base: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
    ...options,
  };
  const client = config.redis.cluster ? clusterClient(config.redis.url, base) : new Redis(config.redis.url, base);
  // ioredis reconnects by itself; without a listener every failed attempt would also be printed as
  // an unhandled error. Outages surface where they matter: /readyz, 503 answers, retried jobs.
  client.on('error', () => undefined);
  return client;
}

/** How ioredis and BullMQ word a command or connection that failed for want of Redis. */
const CONNECTION_ERROR = /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|max retries per request|connect ETIMEDOUT/i;

export function isRedisConnectionError(e: unknown): boolean {
  return CONNECTION_ERROR.test(e instanceof Error ? e.message : String(e));
}

/** Where outage lines go: a pino logger (the worker's or Fastify's). */
export interface OutageLog {
  warn(record: object, message: string): void;
  info(record: object, message: string): void;
}

/**
 * Logs a connection's outages as state changes: one line when it is lost (with why), one when it is
 * back, however many reconnect attempts and failed commands lie between. Every other place stays
 * quiet about the outage (requests answer 503, jobs wait), so the log shows each outage once.
 */
export function logOutages(client: RedisClient, log: OutageLog): void {
  let lost = false;
  let lastError = '';
  client.on('error', (e: Error) => (lastError = e.message));
  client.on('reconnecting', () => {
    if (lost) return;
    lost = true;
    log.warn({ err: lastError || 'connection closed' }, 'redis connection lost');
  });
  client.on('ready', () => {
    if (!lost) return;
    lost = false;
    log.info({}, 'redis connection back');
  });
}

function clusterClient(url: string, base: RedisOptions): Cluster {
  const seed = new URL(url);
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...base, username: seed.username || undefined, password: seed.password || undefined, tls: seed.protocol === 'rediss:' ? {} : undefined },
    clusterRetryStrategy: base.retryStrategy,
  };
  return new Cluster([{ host: seed.hostname, port: Number(seed.port || 6379) }], clusterOptions);
}
