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
    process.stderr.write(`artmeta: ${e.message}\n(see docs/deployment.md for every variable and its default)\n`);
    process.exit(2);
  }
}

/** Runs `stop` once on SIGTERM or SIGINT, then exits; a second signal exits at once. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`artmeta: ${signal}, finishing running work…\n`);
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`artmeta: shutdown failed: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
