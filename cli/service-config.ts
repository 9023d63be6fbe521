import { ConfigError, loadConfig, type ArtmetaConfig } from '../service/config.ts';

/** Where the help of a command configured by the environment sends the reader: its options are the ARTMETA_* variables. */
export const ENVIRONMENT_HELP = '\nEvery ARTMETA_* environment variable and its default: docs/deployment.md.';

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
