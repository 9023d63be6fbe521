import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { ArtmetaError } from '../analysis/errors.ts';
import type { ArtmetaConfig } from '../service/config.ts';
import { buildApp } from './app.ts';
import { connectAppDeps } from './app-deps.ts';

export interface RunningServer {
  app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:8080. */
  address: string;
  close(): Promise<void>;
}

/** Connects to Redis, builds the API and listens; `close()` drains requests, then disconnects. */
export async function startServer(config: ArtmetaConfig): Promise<RunningServer> {
  // Redis's state changes (the wait at start, outages) in the same JSON lines as the requests' log.
  const deps = await connectAppDeps(config, undefined, pino({ level: config.logLevel }));
  const app = await buildApp(config, deps).catch(async (e: unknown) => {
    await deps.close();
    throw e;
  });
  app.addHook('onClose', () => deps.close());
  // A start that fails (the port taken) releases Redis and the analysis threads, so the process ends.
  const address = await app.listen({ host: config.api.host, port: config.api.port }).catch(async (e: unknown) => {
    await app.close();
    // Taken, privileged or not this machine's: the deployment's to change, named by its variables.
    throw new ArtmetaError('INVALID_CONFIG', `cannot listen on ARTMETA_HOST=${config.api.host} ARTMETA_PORT=${config.api.port}: ${(e as Error).message}`, { cause: e });
  });
  return { app, address, close: () => app.close() };
}
