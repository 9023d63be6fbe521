import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ArtmetaQueues } from '../../service/queue/queues.ts';

const DASHBOARD_PATH = '/admin/queues';

/** bull-board's page asks Google Fonts for its two typefaces; the same fonts, served from npm packages. */
const GOOGLE_FONTS_LINK = /<link href="https:\/\/fonts\.googleapis\.com\/[^"]*" rel="stylesheet">/;
const FONTS = { sans: '@fontsource/ibm-plex-sans', mono: '@fontsource/ibm-plex-mono' } as const;
const LOCAL_FONT_LINKS = ['sans/400.css', 'sans/500.css', 'sans/600.css', 'mono/400.css', 'mono/500.css']
  .map((css) => `<link href="fonts/${css}" rel="stylesheet">`)
  .join('');

/** The bull-board queue dashboard, behind the same API key as everything else; it works offline. */
export async function installDashboard(app: FastifyInstance, queues: ArtmetaQueues): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(queues.analyze), new BullMQAdapter(queues.cluster)],
    // @bull-board/fastify pins its own patch release of @bull-board/api: same interface, distinct declarations.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
  });
  await app.register(
    async (dashboard) => {
      const require = createRequire(import.meta.url);
      for (const [name, pkg] of Object.entries(FONTS)) {
        await dashboard.register(fastifyStatic, { root: dirname(require.resolve(`${pkg}/package.json`)), prefix: `/fonts/${name}/`, decorateReply: false });
      }
      // The page's <base href> is the dashboard's path, so the links are relative to it.
      dashboard.addHook('onSend', async (_request, reply, payload) =>
        typeof payload === 'string' && String(reply.getHeader('content-type')).startsWith('text/html') ? payload.replace(GOOGLE_FONTS_LINK, LOCAL_FONT_LINKS) : payload,
      );
      await dashboard.register(serverAdapter.registerPlugin());
    },
    { prefix: DASHBOARD_PATH },
  );
}
