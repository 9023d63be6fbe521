import type { Command } from 'commander';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { computeSignature } from '../../analysis/lineage/image-signature.ts';
import { defaultModel, similarity } from '../../analysis/lineage/similarity-index.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import type { RgbImage } from '../../analysis/image/rgb-image.ts';
import { detectText } from '../../analysis/text/detect-text.ts';

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
      const report = similarity(await signatureOf(first.pixels), await signatureOf(second.pixels));
      const sameLineage = report.index >= defaultModel().threshold;
      process.stdout.write(`${JSON.stringify({ ...report, threshold: defaultModel().threshold, sameLineage }, null, 2)}\n`);
    });
}

/** As `artmeta cluster` computes it: with the detected text masked. */
async function signatureOf(pixels: RgbImage) {
  return computeSignature(pixels, { textRegions: (await detectText(pixels)).regions });
}
