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

function clusterClient(url: string, base: RedisOptions): Cluster {
  const seed = new URL(url);
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...base, username: seed.username || undefined, password: seed.password || undefined, tls: seed.protocol === 'rediss:' ? {} : undefined },
    clusterRetryStrategy: base.retryStrategy,
  };
  return new Cluster([{ host: seed.hostname, port: Number(seed.port || 6379) }], clusterOptions);
}
