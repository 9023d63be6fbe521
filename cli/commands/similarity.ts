import type { Command } from 'commander';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { lineageSignature } from '../../analysis/lineage/lineage-signature.ts';
import { defaultModel, similarity } from '../../analysis/lineage/similarity-index.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';

/** `artmeta similarity A B`: the four metrics and the index for one pair, as JSON. */
export function register(program: Command): void {
  program
    .command('similarity')
    .description('histogram, aligned SSIM, feature matching and EMD for two images, and the lineage index')
    .argument('<a>', 'first image')
    .argument('<b>', 'second image')
    .action(async (a: string, b: string) => {
      await loadOpenCV();
      const [first, second] = await Promise.all([decodeImage(a), decodeImage(b)]);
      const report = similarity(lineageSignature(first.pixels), lineageSignature(second.pixels));
      const sameLineage = report.index >= defaultModel().threshold;
      process.stdout.write(`${JSON.stringify({ ...report, threshold: defaultModel().threshold, sameLineage }, null, 2)}\n`);
    });
}
