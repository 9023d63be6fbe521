import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ApiError } from '../api-error.ts';
import type { RedisClient } from '../../service/queue/redis-connection.ts';

const Status = Type.Object({ status: Type.String() });

/** Liveness (the process answers) and readiness (Redis answers a PING within a second). */
export async function healthRoutes(app: FastifyInstance, { redis }: { redis: RedisClient }): Promise<void> {
  app.get('/healthz', { schema: { tags: ['health'], security: [], response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['health'], security: [], response: { 200: Status } } }, async () => {
    try {
      await Promise.race([redis.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1_000).unref())]);
    } catch (e) {
      throw new ApiError('UNAVAILABLE', `Redis is not reachable: ${(e as Error).message}`);
    }
    return { status: 'ready' };
  });
}
