import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorResponse } from '../api-error.ts';

/**
 * How much of a refused body is still read (and dropped) before the 413 goes out. A client that
 * sends its body without `Expect: 100-continue` (fetch, most libraries) is still writing when the
 * server refuses it; closing the socket on unread data makes the kernel answer with a reset, and
 * the client sees ECONNRESET/EPIPE instead of the 413. Reading on lets it finish and read the
 * answer. Past these bounds (a far larger body, a slow sender) the connection is closed anyway.
 */
const DRAIN_MAX_BYTES = 256 * 1024 * 1024;
const DRAIN_MAX_MS = 10_000;

/**
 * Fastify's `frameworkErrors`: what its router refuses before any route or error handler runs (a
 * path with a bad percent-encoding) leaves in the same shape as every other error, not Fastify's.
 */
export function frameworkErrorAnswer(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(400).send({ error: { code: 'INVALID_ARGUMENT', message: error.message } });
}

/** Every error leaves as `{ error: { code, message } }` with a stable code and its status. */
export function installErrorHandling(app: FastifyInstance, redisReady: () => boolean): void {
  app.setErrorHandler(async (error, request, reply) => {
    const { status, code, message } = errorResponse(error, redisReady());
    // Redis being away is logged once per outage by the connection monitor, not per request.
    if (status >= 500 && code !== 'UNAVAILABLE') request.log.error({ err: error }, 'request failed');
    if (status === 413) await drainBody(request.raw);
    return reply.status(status).send({ error: { code, message } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );
}

/** Reads the rest of a request body and drops it, within the bounds above. */
function drainBody(body: IncomingMessage): Promise<void> {
  if (body.readableEnded || body.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const done = () => {
      clearTimeout(timer);
      body.off('data', onData).off('end', done).off('close', done).off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > DRAIN_MAX_BYTES) done();
    };
    const timer = setTimeout(done, DRAIN_MAX_MS);
    body.on('data', onData).once('end', done).once('close', done).once('error', done);
    body.resume();
  });
}
