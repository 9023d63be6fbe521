import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { ArtmetaQueues } from '../../service/queue/queues.ts';

export const DASHBOARD_PATH = '/admin/queues';

/** The bull-board queue dashboard, behind the same API key as everything else. */
export async function installDashboard(app: FastifyInstance, queues: ArtmetaQueues): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(queues.analyze), new BullMQAdapter(queues.cluster)],
    // @bull-board/fastify pins its own patch release of @bull-board/api: same interface, distinct declarations.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
}
