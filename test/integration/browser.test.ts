import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { connectAppDeps } from '../../api/app-deps.ts';
import type { ArtmetaQueues } from '../../service/queue/queues.ts';
import { API_KEY, fixture, testConfig, testEnv } from './service-harness.ts';

/** Debian's chromium (scripts/test.sh installs the package when missing); nothing is downloaded. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('the pages people open in a browser (Chromium, the API on a real port and a real Redis)', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let queues: ArtmetaQueues;
  let base: string;
  let profile: string;
  let browser: BrowserContext;
  /** Every request the pages tried to send anywhere but the API on 127.0.0.1: refused and recorded. */
  const outside: string[] = [];

  beforeAll(async () => {
    const config = testConfig(testEnv(inject('redisUrl'), { ARTMETA_HOST: '127.0.0.1', ARTMETA_PORT: '0' }));
    const deps = await connectAppDeps(config);
    close = deps.close;
    queues = deps.queues;
    app = await buildApp(config, { ...deps, logger: false });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    profile = await mkdtemp(join(tmpdir(), 'artmeta-chromium-'));
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    await browser.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' && url.port === new URL(base).port) return route.continue();
      outside.push(url.href);
      return route.abort();
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await close?.();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  /** The page opened the way the issue's reader did: the key in the address (`http://x:KEY@host/…`). */
  async function open(path: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${base.replace('://', `://x:${API_KEY}@`)}${path}`);
    return page;
  }

  it('/admin/queues shows both queues and their job counts, with the key in the address, offline', async () => {
    await queues.analyze.add('analyze', { source: { url: 'http://example.com/a.jpg' }, request: { canvases: ['16:9'], text: true } }, { jobId: 'browser-a' });
    await queues.analyze.add('analyze', { source: { url: 'http://example.com/b.jpg' }, request: { canvases: ['16:9'], text: true } }, { jobId: 'browser-b' });
    await queues.cluster.add('cluster', { images: [{ url: 'http://example.com/a.jpg' }] }, { jobId: 'browser-c' });
    const page = await open('/admin/queues');
    // Credentials are gone from the address the page runs at, so its fetches work.
    expect(page.url()).toBe(`${base}/admin/queues`);
    const analyze = page.locator('a, section, div').filter({ hasText: /^analyze/ }).filter({ hasText: /2 Jobs/ }).first();
    await analyze.waitFor({ timeout: 15_000 });
    await page.locator('a, section, div').filter({ hasText: /^cluster/ }).filter({ hasText: /1 Job\b/ }).first().waitFor({ timeout: 15_000 });
    const text = await page.locator('body').innerText();
    // Translated labels, not the raw keys the page showed when its fetches failed.
    expect(text).toMatch(/Waiting|WAITING/);
    expect(text).not.toMatch(/\b[A-Z]+\.[A-Z_]+\b/);
    expect(outside).toEqual([]);
    await page.close();
  });

  it('/admin/queues opened at a plain address, the key typed into the login prompt, works too', async () => {
    const promptProfile = await mkdtemp(join(tmpdir(), 'artmeta-chromium-'));
    const prompted = await chromium.launchPersistentContext(promptProfile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, httpCredentials: { username: 'x', password: API_KEY } });
    try {
      const page = await prompted.newPage();
      await page.goto(`${base}/admin/queues`);
      await page.locator('a, section, div').filter({ hasText: /^cluster/ }).filter({ hasText: /\d+ Jobs?\b/ }).first().waitFor({ timeout: 15_000 });
      expect(page.url()).toBe(`${base}/admin/queues`);
    } finally {
      await prompted.close();
      await rm(promptProfile, { recursive: true, force: true });
    }
  });

  it('/docs lists every operation and sends an upload with "Try it out"', async () => {
    const page = await open('/docs');
    expect(page.url()).toBe(`${base}/docs`);
    const documented = Object.keys((await (await page.request.get(`${base}/docs/json`)).json()).paths as object);
    await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
    const listed = await page.locator('.opblock-summary-path').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-path')));
    expect(new Set(listed)).toEqual(new Set(documented));

    const operation = page.locator('#operations-crop_hints-cropHintsForImage');
    await operation.locator('.opblock-summary').click();
    await operation.locator('.try-out__btn').click();
    await operation.locator('input[type=file]').setInputFiles(fixture('service-1.jpg'));
    await operation.locator('.execute').click();
    const status = operation.locator('.live-responses-table .response .response-col_status');
    await status.waitFor({ timeout: 30_000 });
    expect((await status.innerText()).trim()).toBe('200');
    expect(await operation.locator('.live-responses-table .response .response-col_description').innerText()).toMatch(/"crops"/);
    expect(outside).toEqual([]);
    await page.close();
  });
});
