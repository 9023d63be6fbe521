import type { Command } from 'commander';
import { describeError } from '../../analysis/errors.ts';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { lineageSignature } from '../../analysis/lineage/lineage-signature.ts';
import { defaultModel, similarity } from '../../analysis/lineage/similarity-index.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { refuseUrlInput } from '../url-input.ts';

/** `artmeta similarity A B`: the four metrics and the index for one pair, as JSON. */
export function register(program: Command): void {
  program
    .command('similarity')
    .description('histogram, aligned SSIM, feature matching and EMD for two images, and the lineage index')
    .argument('<a>', 'first image')
    .argument('<b>', 'second image')
    .action(async (a: string, b: string) => {
      await loadOpenCV();
      const decoded = await Promise.allSettled([decodeFile(a), decodeFile(b)]);
      // Each image that cannot be read is named with its code, and the exit code is 1, as analyze
      // and cluster report an unreadable image (2 is for a bad option).
      decoded.forEach((outcome, i) => {
        if (outcome.status === 'rejected') {
          const { code, message } = describeError(outcome.reason);
          process.stderr.write(`artmeta: ${[a, b][i]}: ${code}: ${message}\n`);
        }
      });
      const [first, second] = decoded;
      if (first.status === 'rejected' || second.status === 'rejected') {
        process.exitCode = 1;
        return;
      }
      const report = similarity(await lineageSignature(first.value.pixels), await lineageSignature(second.value.pixels));
      const sameLineage = report.index >= defaultModel().threshold;
      process.stdout.write(`${JSON.stringify({ ...report, threshold: defaultModel().threshold, sameLineage }, null, 2)}\n`);
    });
}

/** The decoded image of a file; a URL is refused with what to use instead. */
async function decodeFile(path: string): ReturnType<typeof decodeImage> {
  await refuseUrlInput(path);
  return decodeImage(path);
}
