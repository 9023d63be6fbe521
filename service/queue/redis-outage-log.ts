import { isRedisConnectionError, type RedisClient } from './redis-connection.ts';

/** Where outage lines go: a pino logger (the worker's, or serve's, which writes the same JSON lines as its requests' log). */
export interface OutageLog {
  warn(record: object, message: string): void;
  info(record: object, message: string): void;
}

/**
 * Logs a connection's outages as state changes: one line when it is lost (with why), one when it is
 * back, however many reconnect attempts and failed commands lie between. Every other place stays
 * quiet about the outage (requests answer 503, jobs wait), so the log shows each outage once. A
 * connection that has not reached Redis yet is not "lost": a process started before its Redis says
 * it is waiting for it, and that it is connected once it is.
 */
export function logOutages(client: RedisClient, log: OutageLog): void {
  let connected = client.status === 'ready';
  let lost = false;
  let lastError = '';
  const noteDown = () => {
    if (lost) return;
    lost = true;
    log.warn({ err: lastError || 'connection closed' }, connected ? 'redis connection lost' : 'waiting for redis');
  };
  client.on('error', (e: Error) => {
    lastError = e.message;
    // A first attempt that fails is reported at once, not at the next attempt (100 ms on).
    if (!connected && isRedisConnectionError(e)) noteDown();
  });
  client.on('reconnecting', noteDown);
  client.on('ready', () => {
    const wasLost = lost;
    lost = false;
    if (!connected) {
      connected = true;
      if (wasLost) log.info({}, 'redis connected');
      return;
    }
    if (wasLost) log.info({}, 'redis connection back');
  });
}
