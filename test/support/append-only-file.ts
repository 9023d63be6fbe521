import type { Redis } from 'ioredis';

/**
 * Turns the append-only file on and waits for the rewrite that starts it (what the server holds already),
 * then turns automatic rewrites off: from then on the file grows by exactly what the commands that follow
 * write (bench:catalogue --aof, measure:catalogue-lookup --aof).
 */
export async function appendOnly(redis: Redis): Promise<void> {
  await redis.config('SET', 'appendonly', 'yes', 'appendfsync', 'everysec');
  while (/aof_rewrite_in_progress:1|aof_rewrite_scheduled:1/.test(await redis.info('persistence'))) await new Promise((resolve) => setTimeout(resolve, 500));
  await redis.config('SET', 'auto-aof-rewrite-percentage', '0');
}

/** The append-only file's size in bytes, from INFO persistence. */
export function aofBytes(info: string): number {
  return Number(/aof_current_size:(\d+)/.exec(info)?.[1] ?? 0);
}
