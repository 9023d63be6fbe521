import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { ArtmetaError } from '../../analysis/errors.ts';
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

/**
 * How long a one-shot command (`artmeta submit`, `artmeta catalogue`) waits for Redis's first answer.
 * A running Redis answers a PING in milliseconds, even across a data centre; 5 s also spans ioredis's
 * first reconnect attempts (100 ms doubling), so a Redis restarting at that moment is waited for. The
 * connection itself would wait forever (`maxRetriesPerRequest: null`), which for a wrong
 * ARTMETA_REDIS_URL means a command that hangs without a word.
 */
const ONE_SHOT_REDIS_TIMEOUT_MS = 5_000;

/** A connection that is ready, or UNAVAILABLE naming the URL (without its password). */
export async function connectReachableRedis(config: Pick<ArtmetaConfig, 'redis'>, timeoutMs = ONE_SHOT_REDIS_TIMEOUT_MS): Promise<RedisClient> {
  const client = connectRedis(config);
  await untilReady(client, config.redis.url, timeoutMs);
  return client;
}

/**
 * Resolves once `client` is ready. After `timeoutMs` without that, disconnects it and fails (UNAVAILABLE)
 * naming `url` without its password: waits on the connection, not on a command, so it also serves a client without
 * an offline queue (the API's), whose commands fail at once until it is ready.
 */
export async function untilReady(client: RedisClient, url: string, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new ArtmetaError('UNAVAILABLE', `Redis at ${withoutPassword(url)} did not answer within ${timeoutMs / 1000} s: is it running, and is ARTMETA_REDIS_URL right?`)), timeoutMs);
      client.once('ready', resolve);
      void refusedDatabase(client, url).catch(reject);
    });
  } catch (e) {
    client.disconnect();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** How Redis refuses a database index past its `databases` setting. */
const NO_SUCH_DATABASE = /DB index is out of range/i;

/**
 * Rejects (INVALID_CONFIG) when Redis refuses the database ARTMETA_REDIS_URL selects (`/20` on a server with 16):
 * ioredis reports it as an error and carries on in database 0, among another deployment's keys,
 * so the process must stop instead. Never resolves.
 */
export function refusedDatabase(client: RedisClient, url: string): Promise<never> {
  return new Promise((_resolve, reject) => {
    client.on('error', (e: Error) => {
      if (NO_SUCH_DATABASE.test(e.message)) {
        client.disconnect();
        reject(new ArtmetaError('INVALID_CONFIG', `Redis at ${withoutPassword(url)} has no database ${new URL(url).pathname.slice(1)} (${e.message}): is ARTMETA_REDIS_URL right?`));
      }
    });
  });
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** How ioredis and BullMQ word a command or connection that failed for want of Redis. */
const CONNECTION_ERROR = /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|max retries per request|connect ETIMEDOUT/i;

export function isRedisConnectionError(e: unknown): boolean {
  return CONNECTION_ERROR.test(e instanceof Error ? e.message : String(e));
}

function clusterClient(url: string, base: RedisOptions): Cluster {
  const seed = new URL(url);
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...base, username: seed.username || undefined, password: seed.password || undefined, tls: seed.protocol === 'rediss:' ? {} : undefined },
    clusterRetryStrategy: base.retryStrategy,
  };
  return new Cluster([{ host: seed.hostname, port: Number(seed.port || 6379) }], clusterOptions);
}
