import type { Command } from 'commander';
import { startServer } from '../../api/server.ts';
import { ENVIRONMENT_HELP, configOrExit } from '../service-config.ts';
import { onShutdown } from '../shutdown.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .addHelpText('after', ENVIRONMENT_HELP)
    .description('serve the HTTP API (configured by ARTMETA_* environment variables; OpenAPI at /docs)')
    .action(async () => {
      const config = configOrExit((c) => (c.api.apiKeys.length === 0 ? 'ARTMETA_API_KEYS is empty: set at least one API key' : undefined));
      const server = await startServer(config);
      onShutdown(() => server.close(), server.app.log, config.shutdownMs);
    });
}
