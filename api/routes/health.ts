import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ArtmetaError } from '../../analysis/errors.ts';
import type { RedisClient } from '../../service/queue/redis-connection.ts';
import { addNamedSchemas, namedRef } from '../route-schema.ts';
import { errorResponses } from './error-schema.ts';

const HealthSchema = Type.Object({ status: Type.String({ examples: ['ok', 'ready'] }) }, { $id: 'Health' });

/** Liveness (the process answers) and readiness (Redis answers a PING within a second). */
export async function healthRoutes(app: FastifyInstance, { redis }: { redis: RedisClient }): Promise<void> {
  addNamedSchemas(app, [HealthSchema]);
  app.get(
    '/healthz',
    { schema: { tags: ['health'], operationId: 'healthz', summary: 'Liveness: the process answers', security: [], response: { 200: namedRef(HealthSchema, 'Alive') } } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        operationId: 'readyz',
        summary: 'Readiness: Redis answers a PING within a second',
        security: [],
        response: { 200: namedRef(HealthSchema, 'Ready: Redis answers'), ...errorResponses(503) },
      },
    },
    async () => {
      try {
        await Promise.race([redis.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1_000).unref())]);
      } catch (e) {
        throw new ArtmetaError('UNAVAILABLE', `Redis is not reachable: ${(e as Error).message}`);
      }
      return { status: 'ready' };
    },
  );
}
