import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { connectAppDeps } from '../../api/app-deps.ts';
import { API_KEY, testConfig, testEnv } from './service-harness.ts';

const basic = `Basic ${Buffer.from(`x:${API_KEY}`).toString('base64')}`;
const navigation = { accept: 'text/html,application/xhtml+xml', authorization: basic, host: 'artmeta.test:8080' };

describe('browser sessions: a page opened with Basic continues at its address without credentials', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const config = testConfig(testEnv(inject('redisUrl')));
    const deps = await connectAppDeps(config, { analyze: () => Promise.reject(new Error('not used')), close: async () => {} });
    close = deps.close;
    app = await buildApp(config, { ...deps, logger: false });
  });

  afterAll(async () => {
    await app?.close();
    await close?.();
  });

  const cookiesOf = (setCookie: string | string[] | undefined) => (Array.isArray(setCookie) ? setCookie : [setCookie ?? '']).map((c) => c.split(';')[0]!).join('; ');

  it('redirects (303) to the same address with a session cookie, then serves the page and its requests', async () => {
    for (const page of ['/admin/queues', '/docs']) {
      const first = await app.inject({ url: page, headers: navigation });
      expect(first.statusCode, page).toBe(303);
      expect(first.headers.location).toBe(`http://artmeta.test:8080${page}`);
      const setCookie = [first.headers['set-cookie']].flat().join('\n');
      expect(setCookie).toMatch(/artmeta_session=\d+\.[\w-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict/);
      const cookie = cookiesOf(first.headers['set-cookie']);
      const back = await app.inject({ url: page, headers: { ...navigation, cookie } });
      expect(back.statusCode, page).toBe(200);
      expect(back.headers['set-cookie']).toMatch(/^artmeta_redirected=; Path=\/; Max-Age=0/);
    }
  });

  it('lets the session cookie stand for the key in requests that are not page navigations', async () => {
    const cookie = cookiesOf((await app.inject({ url: '/admin/queues', headers: navigation })).headers['set-cookie']).split('; ')[0]!;
    expect((await app.inject({ url: '/admin/queues/api/queues', headers: { cookie } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/jobs/none', headers: { cookie } })).statusCode).toBe(404);
    // A page itself needs Basic: with the cookie alone it may be running at an address with credentials.
    expect((await app.inject({ url: '/admin/queues', headers: { cookie, accept: 'text/html' } })).statusCode).toBe(401);
  });

  it('refuses forged, altered and expired session cookies', async () => {
    const [expires, mac] = cookiesOf((await app.inject({ url: '/docs', headers: navigation })).headers['set-cookie']).split('; ')[0]!.split('=')[1]!.split('.');
    for (const cookie of [`artmeta_session=${Number(expires) + 1}.${mac}`, `artmeta_session=${expires}.${'A'.repeat(43)}`, `artmeta_session=1.${mac}`, 'artmeta_session=garbage']) {
      expect((await app.inject({ url: '/v1/jobs/none', headers: { cookie } })).statusCode, cookie).toBe(401);
    }
  });

  it('answers API clients as before: Basic without a page navigation gets the answer, no redirect', async () => {
    expect((await app.inject({ url: '/docs/json', headers: { authorization: basic } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/admin/queues', headers: { authorization: basic } })).statusCode).toBe(200);
  });
});
