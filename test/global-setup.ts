import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { RedisServer } from './support/redis-server.ts';

/** One real Redis for the whole run; tests read its URL with `inject('redisUrl')`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await RedisServer.start();
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
