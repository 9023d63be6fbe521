import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../api-error.ts';

/** Paths a load balancer or orchestrator probes without a key. */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz']);
/** Render URLs go into `<img src>`: their signature is their authorisation (api/render/render-url.ts). */
const SIGNED_PREFIX = '/render/';
/** Pages people open in a browser, which then fetch the API themselves. */
const BROWSER_PAGES = ['/docs', '/admin/queues'];

const SESSION_COOKIE = 'artmeta_session';
/** Set with the redirect, so the next page request is known to come from the address without credentials. */
const REDIRECTED_COOKIE = 'artmeta_redirected';
const SESSION_SECONDS = 12 * 3600;

/**
 * Requires an API key on every route but the health probes and signed render URLs:
 * `x-api-key: <key>`, `Authorization: Bearer <key>`, or HTTP Basic with the key as password (any
 * user name) — the one a browser can send, so people can open `/docs` and `/admin/queues`: a refusal
 * says `WWW-Authenticate: Basic`, and the browser asks for it. Keys are compared as SHA-256 digests
 * in constant time.
 *
 * A page opened as `http://user:KEY@host/admin/queues` runs at an address that holds credentials,
 * and browsers refuse `fetch` relative to such an address (the dashboard then shows raw translation
 * keys). So a page opened with Basic is answered with a session cookie and a redirect (303) to its
 * address without credentials, and the page's own requests are let in by that cookie. The cookie
 * is an expiry signed with the key (HMAC-SHA256), so every API replica accepts it and removing a key
 * ends its sessions; HttpOnly and SameSite=Strict, so no script reads it and no other site's page
 * sends it. Pages themselves are opened with Basic only (the browser repeats it unasked once it
 * has it): the server cannot see whether an address held credentials, and a page let in by the
 * cookie alone could be running at one.
 */
export function installApiKeyAuth(app: FastifyInstance, apiKeys: readonly string[]): void {
  const digests = apiKeys.map(digest);
  // Answers here rather than throwing: plugins such as bull-board install their own error handlers.
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (PUBLIC_PATHS.has(path) || path.startsWith(SIGNED_PREFIX)) return;
    const page = opensPage(request, path);
    const presented = presentedKey(request);
    const index = presented ? digests.findIndex((d) => timingSafeEqual(d, digest(presented.key))) : -1;
    if (index >= 0) {
      if (presented?.scheme !== 'basic' || !page) return;
      // Back from the redirect: this address holds no credentials.
      if (hasCookie(request, REDIRECTED_COOKIE, '1')) return void reply.header('set-cookie', `${REDIRECTED_COOKIE}=; Path=/; Max-Age=0`);
      return startSession(request, reply, apiKeys[index]!);
    }
    if (!page && validSession(request, apiKeys)) return;
    const error = new ApiError('UNAUTHORIZED', presented ? 'unknown API key' : 'an API key is required (x-api-key header, Authorization: Bearer, or Basic with the key as password)');
    return reply
      .status(error.status)
      .header('www-authenticate', 'Basic realm="artmeta", charset="UTF-8"')
      .send({ error: { code: error.code, message: error.message } });
  });
}

function presentedKey(request: FastifyRequest): { key: string; scheme: 'header' | 'bearer' | 'basic' } | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return { key: header, scheme: 'header' };
  const authorization = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization);
  if (bearer) return { key: bearer[1]!, scheme: 'bearer' };
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization);
  if (!basic) return undefined;
  const credentials = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const password = credentials.slice(credentials.indexOf(':') + 1);
  return credentials.includes(':') && password.length > 0 ? { key: password, scheme: 'basic' } : undefined;
}

/** A browser navigating to one of the pages (it asks for HTML; its scripts and API clients do not). */
function opensPage(request: FastifyRequest, path: string): boolean {
  const isPage = BROWSER_PAGES.some((page) => path === page || path.startsWith(`${page}/`));
  return isPage && request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
}

/** Sets the session cookie and sends the browser to this address without credentials (303). */
function startSession(request: FastifyRequest, reply: FastifyReply, key: string): FastifyReply {
  const expires = Math.floor(Date.now() / 1000) + SESSION_SECONDS;
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return reply
    .status(303)
    .header('set-cookie', [
      `${SESSION_COOKIE}=${expires}.${sessionMac(key, expires)}; Path=/; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Strict${secure}`,
      `${REDIRECTED_COOKIE}=1; Path=/; Max-Age=60; HttpOnly; SameSite=Lax${secure}`,
    ])
    .header('cache-control', 'no-store')
    .header('location', `${request.protocol}://${request.host}${request.url}`)
    .send();
}

function validSession(request: FastifyRequest, apiKeys: readonly string[]): boolean {
  const [expiresText, mac] = cookie(request, SESSION_COOKIE)?.split('.') ?? [];
  const expires = Number(expiresText);
  if (!mac || !(expires * 1000 > Date.now())) return false;
  const presented = Buffer.from(mac, 'base64url');
  return apiKeys.some((key) => {
    const expected = Buffer.from(sessionMac(key, expires), 'base64url');
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  });
}

function hasCookie(request: FastifyRequest, name: string, value: string): boolean {
  return cookie(request, name) === value;
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = pair.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function sessionMac(key: string, expires: number): string {
  return createHmac('sha256', key).update(`artmeta-session:${expires}`).digest('base64url');
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
