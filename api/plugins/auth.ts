import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../api-error.ts';

/** Paths a load balancer or orchestrator probes without a key. */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz']);

/**
 * Requires an API key on every route but the health probes: `x-api-key: <key>` or
 * `Authorization: Bearer <key>`. Keys are compared as SHA-256 digests in constant time.
 */
export function installApiKeyAuth(app: FastifyInstance, apiKeys: readonly string[]): void {
  const digests = apiKeys.map(digest);
  // Answers here rather than throwing: plugins such as bull-board install their own error handlers.
  app.addHook('onRequest', async (request, reply) => {
    if (PUBLIC_PATHS.has(request.url.split('?')[0] ?? '')) return;
    const key = presentedKey(request);
    if (key && digests.some((d) => timingSafeEqual(d, digest(key)))) return;
    const error = new ApiError('UNAUTHORIZED', key ? 'unknown API key' : 'an API key is required (x-api-key header or Authorization: Bearer)');
    return reply.status(error.status).send({ error: { code: error.code, message: error.message } });
  });
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
