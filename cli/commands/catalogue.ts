import type { Command } from 'commander';
import { lineageMatcher } from '../../analysis/lineage/lineage-matcher.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { CatalogueChecker } from '../../service/catalogue/catalogue-checker.ts';
import { CatalogueRebuild } from '../../service/catalogue/catalogue-rebuild.ts';
import type { ArtmetaConfig } from '../../service/config.ts';
import { connectReachableRedis, type RedisClient } from '../../service/queue/redis-connection.ts';
import { ResultStore } from '../../service/store/result-store.ts';
import { startProgress } from '../progress.ts';
import { ENVIRONMENT_HELP, configOrExit } from '../service-config.ts';

/** `artmeta catalogue rebuild|check`: maintenance of the lineage catalogue in Redis. */
export function register(program: Command): void {
  const catalogue = program.command('catalogue').description('the catalogue-wide lineage index in Redis (ARTMETA_* environment variables)').addHelpText('after', ENVIRONMENT_HELP);
  catalogue
    .command('rebuild')
    .addHelpText('after', ENVIRONMENT_HELP)
    .description('re-assign every stored image from its stored signature (after a model change), keeping every id whose members are unchanged; prints what moved')
    .action(() =>
      withRedis(async (config, redis) => {
        await loadOpenCV();
        let progress: ReturnType<typeof startProgress> | undefined;
        const report = await new CatalogueRebuild(redis, config.prefix, new ResultStore(redis, config.prefix), lineageMatcher()).run((_done, total) => {
          progress ??= startProgress(total, 'rebuild');
          progress.tick();
        });
        progress?.stop();
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        process.stderr.write(
          `artmeta: ${report.images} images in ${report.lineages} lineages; ${report.unchanged} unchanged, ${report.keptChanged} changed but kept their id, ${report.newIds.length} new ids, ${report.moved.length} images moved\n`,
        );
      }),
    );
  catalogue
    .command('check')
    .addHelpText('after', ENVIRONMENT_HELP)
    .description('walk the index and verify every invariant (exit code 1 when one is broken); pause the analyze queue first: a walk is not a snapshot')
    .action(() =>
      withRedis(async (config, redis) => {
        const report = await new CatalogueChecker(redis, config.prefix, lineageMatcher().tables).check();
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        if (report.problems.length > 0) process.exitCode = 1;
      }),
    );
}

/** Runs a maintenance command on the configured Redis and always closes the connection. */
async function withRedis(run: (config: ArtmetaConfig, redis: RedisClient) => Promise<void>): Promise<void> {
  const config = configOrExit();
  const redis = await connectReachableRedis(config);
  try {
    await run(config, redis);
  } finally {
    await redis.quit().catch(() => undefined);
  }
}
