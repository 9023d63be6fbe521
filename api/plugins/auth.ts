import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../api-error.ts';

/** Paths a load balancer or orchestrator probes without a key. */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz']);
/** Render URLs go into `<img src>`: their signature is their authorisation (api/render/render-url.ts). */
const SIGNED_PREFIX = '/render/';

/**
 * Requires an API key on every route but the health probes and signed render URLs: `x-api-key: <key>`,
 * `Authorization: Bearer <key>`, or HTTP Basic with the key as password (any user name) — the one a
 * browser can send, so people can open `/docs` and `/admin/queues`: a refusal says
 * `WWW-Authenticate: Basic`, and the browser asks for it. Keys are compared as SHA-256 digests in
 * constant time.
 */
export function installApiKeyAuth(app: FastifyInstance, apiKeys: readonly string[]): void {
  const digests = apiKeys.map(digest);
  // Answers here rather than throwing: plugins such as bull-board install their own error handlers.
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (PUBLIC_PATHS.has(path) || path.startsWith(SIGNED_PREFIX)) return;
    const key = presentedKey(request);
    if (key && digests.some((d) => timingSafeEqual(d, digest(key)))) return;
    const error = new ApiError('UNAUTHORIZED', key ? 'unknown API key' : 'an API key is required (x-api-key header, Authorization: Bearer, or Basic with the key as password)');
    return reply
      .status(error.status)
      .header('www-authenticate', 'Basic realm="artmeta", charset="UTF-8"')
      .send({ error: { code: error.code, message: error.message } });
  });
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const authorization = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization);
  if (!basic) return undefined;
  const credentials = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const password = credentials.slice(credentials.indexOf(':') + 1);
  return credentials.includes(':') && password.length > 0 ? password : undefined;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
