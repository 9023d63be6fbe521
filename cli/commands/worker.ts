import type { Command } from 'commander';
import { pino } from 'pino';
import { describeError } from '../../analysis/errors.ts';
import { ArtmetaWorker } from '../../service/queue/artmeta-worker.ts';
import { ENVIRONMENT_HELP, configOrExit } from '../service-config.ts';
import { onShutdown } from '../shutdown.ts';

export function register(program: Command): void {
  program
    .command('worker')
    .addHelpText('after', ENVIRONMENT_HELP)
    .description('process analyze and cluster jobs from Redis (configured by ARTMETA_* environment variables); run as many as you like')
    .action(async () => {
      const config = configOrExit();
      const logger = pino({ level: config.logLevel });
      const worker = new ArtmetaWorker(config, { logger });
      onShutdown(() => worker.close(), logger, config.shutdownMs);
      // A Redis that refuses the configured database would leave the worker working in another one: stop, as serve does.
      await worker.ready().catch((e: unknown) => {
        const { code, message } = describeError(e);
        process.stderr.write(`artmeta: ${code}: ${message}\n`);
        process.exit(2);
      });
      // pino puts pid and hostname on every line already.
      logger.info({ concurrency: config.worker.concurrency, threads: config.worker.analysisThreads, prefix: config.prefix }, 'worker ready');
    });
}
