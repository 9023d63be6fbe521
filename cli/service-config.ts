import { ConfigError, loadConfig, type ArtmetaConfig } from '../service/config.ts';

/** The environment configuration, or a clear message and exit code 2 when it cannot work. */
export function configOrExit(check?: (config: ArtmetaConfig) => string | undefined): ArtmetaConfig {
  try {
    const config = loadConfig();
    const problem = check?.(config);
    if (problem) throw new ConfigError([problem]);
    return config;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`artmeta: ${e.code}: ${e.message}\n(see docs/deployment.md for every variable and its default)\n`);
    process.exit(2);
  }
}

/** Where shutdown lines go: the process's JSON logger. */
interface ShutdownLog {
  info(record: object, message: string): void;
  error(record: object, message: string): void;
}

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits 0; a second signal exits at once. When `stop`
 * has not finished within `deadlineMs` (a long job, or Redis away so nothing can be acknowledged),
 * the process exits 1 anyway: orchestrators kill after their own grace period (10 s by default in
 * Kubernetes and Docker), and a job cut short is retried by another worker once its lock expires.
 */
export function onShutdown(stop: () => Promise<void>, log: ShutdownLog, deadlineMs: number): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log.info({ signal, deadlineMs }, 'stopping: finishing running work');
    setTimeout(() => {
      log.error({ deadlineMs }, 'stopping: running work did not finish in time, exiting anyway');
      process.exit(1);
    }, deadlineMs).unref();
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: e instanceof Error ? e.message : String(e) }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
