import { Command, CommanderError } from 'commander';
import { describeError } from '../analysis/errors.ts';
import { register as registerAnalyze } from './commands/analyze.ts';
import { register as registerCatalogue } from './commands/catalogue.ts';
import { register as registerCluster } from './commands/cluster.ts';
import { register as registerServe } from './commands/serve.ts';
import { register as registerSignUrl } from './commands/sign-url.ts';
import { register as registerSimilarity } from './commands/similarity.ts';
import { register as registerSubmit } from './commands/submit.ts';
import { register as registerWorker } from './commands/worker.ts';

const USAGE_ERROR = 'artmeta: INVALID_ARGUMENT: ';

const program = new Command('artmeta')
  .description('Focal points, crop hints, text regions and lineages for artwork and photos')
  .showHelpAfterError()
  // Commander's own errors (unknown option, bad --threads, missing argument) say `error: …`; a script
  // reads every other stop of artmeta as `artmeta: CODE: message`, so they get that shape and code.
  .configureOutput({ outputError: (message, write) => write(message.replace(/^error: /, USAGE_ERROR)) })
  // Commander exits 1 on its own errors, which is the code for "an image failed"; a usage error is
  // 2, as every bad option of artmeta is.
  // Both set before the commands are registered: each copies its parent's settings when created.
  .exitOverride();

registerAnalyze(program);
registerWorker(program);
registerServe(program);
registerSubmit(program);
registerCluster(program);
registerSimilarity(program);
registerCatalogue(program);
registerSignUrl(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Commander has written its message (or the help, exit code 0) already. A command that needs
    // a subcommand and was given none (or 'help' an unknown one) gets only the help: say it was an error.
    if (e.code === 'commander.help' && e.exitCode !== 0) process.stderr.write(`${USAGE_ERROR}name one of the commands listed above\n`);
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    // The stable code first, as a failed job gives it: scripts tell UNAVAILABLE from INVALID_ARGUMENT.
    const { code, message } = describeError(e);
    process.stderr.write(`artmeta: ${code}: ${message}\n`);
    process.exitCode = 2;
  }
}
