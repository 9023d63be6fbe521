/**
 * `npx tsx scripts/draw-render-examples.ts`: the README's picture of /render — one sample photo and
 * what `GET /render/…` gives for four canvases, each asked for 240 px high — drawn through the
 * real endpoint (a Redis of its own, the API in-process) into docs/render-crops.jpg.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { parseCanvasSpec } from '../analysis/crop/canvas-spec.ts';
import { buildApp } from '../api/app.ts';
import { connectAppDeps } from '../api/app-deps.ts';
import { renderPath } from '../api/render/render-url.ts';
import { loadConfig } from '../service/config.ts';
import { RedisServer } from '../test/support/redis-server.ts';

const repo = new URL('../', import.meta.url).pathname;
const PHOTO = 'kpa-pool.jpg';
const CANVASES = ['16:9', '1:1', '2:3', '9:16'];
const HEIGHT = 240;
const GAP = 12;
const LABEL = 28;
const KEY = 'readme-picture-key-0123456789abcdef';

const redis = await RedisServer.start();
try {
  const config = loadConfig({ ARTMETA_REDIS_URL: redis.url, ARTMETA_RENDER_KEY: KEY, ARTMETA_PATH_ROOTS: join(repo, 'samples'), ARTMETA_LOG_LEVEL: 'warn' });
  const deps = await connectAppDeps(config);
  const app = await buildApp(config, { ...deps, logger: false });
  const original = await sharp(join(repo, 'samples', PHOTO)).resize({ height: HEIGHT }).jpeg().toBuffer();
  const panels: { label: string; bytes: Buffer }[] = [{ label: 'original', bytes: original }];
  for (const canvas of CANVASES) {
    const url = renderPath({ source: { path: PHOTO }, canvas: parseCanvasSpec(canvas), height: HEIGHT, format: 'jpeg', quality: 90, enlarge: false }, KEY);
    const response = await app.inject({ url });
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    panels.push({ label: canvas, bytes: response.rawPayload });
  }
  await app.close();
  await deps.close();

  const sized = await Promise.all(panels.map(async (p) => ({ ...p, width: (await sharp(p.bytes).metadata()).width! })));
  const width = sized.reduce((sum, p) => sum + p.width, 0) + GAP * (sized.length + 1);
  const layers: OverlayOptions[] = [];
  let x = GAP;
  for (const panel of sized) {
    layers.push({ input: panel.bytes, left: x, top: GAP + LABEL });
    const label = `<svg xmlns="http://www.w3.org/2000/svg" width="${panel.width}" height="${LABEL}"><text x="0" y="20" font-family="DejaVu Sans, sans-serif" font-size="17" fill="#222">${panel.label}</text></svg>`;
    layers.push({ input: Buffer.from(label), left: x, top: GAP });
    x += panel.width + GAP;
  }
  const picture = await sharp({ create: { width, height: HEIGHT + LABEL + 2 * GAP, channels: 3, background: '#ffffff' } })
    .composite(layers)
    .jpeg({ quality: 78, mozjpeg: true })
    .toBuffer();
  await writeFile(join(repo, 'docs', 'render-crops.jpg'), picture);
  console.log(`docs/render-crops.jpg: ${width}×${HEIGHT + LABEL + 2 * GAP}, ${picture.length} bytes`);
} finally {
  await redis.stop();
}
