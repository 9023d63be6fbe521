import type { FastifyInstance } from 'fastify';
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
  const deps = await connectAppDeps(config);
  const app = await buildApp(config, deps);
  app.addHook('onClose', () => deps.close());
  const address = await app.listen({ host: config.api.host, port: config.api.port });
  return { app, address, close: () => app.close() };
}
