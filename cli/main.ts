import { Command } from 'commander';
import { register as registerAnalyze } from './commands/analyze.ts';

const program = new Command('artmeta')
  .description('Focal points, crop hints, text regions and lineages for artwork and photos')
  .showHelpAfterError();

registerAnalyze(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.stderr.write(`artmeta: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
}
