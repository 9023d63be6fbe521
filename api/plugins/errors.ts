import type { FastifyInstance } from 'fastify';
import { errorResponse } from '../api-error.ts';

/** Every error leaves as `{ error: { code, message } }` with a stable code and its status. */
export function installErrorHandling(app: FastifyInstance, redisReady: () => boolean): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, code, message } = errorResponse(error, redisReady());
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(status).send({ error: { code, message } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );
}
