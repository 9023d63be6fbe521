/**
 * The golden output of `artmeta analyze samples/`: focal point, region of interest, method, shot,
 * people, crops and keep-list of each sample, text left out (the text detector is tuned on its own).
 * `npm run golden:update` rewrites `samples.json` from the current code; the diff is then reviewed
 * like any other change.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeImage } from '../../analysis/analyze-image.ts';
import type { Analysis } from '../../analysis/analysis-schema.ts';

const SAMPLES_DIR = fileURLToPath(new URL('../../samples/', import.meta.url));
export const GOLDEN_FILE = fileURLToPath(new URL('./samples.json', import.meta.url));

export type GoldenAnalysis = Pick<Analysis, 'width' | 'height' | 'focalPoint' | 'roi' | 'method' | 'shot' | 'people' | 'crops' | 'keep'>;

export async function goldenOutput(): Promise<Record<string, GoldenAnalysis>> {
  const files = (await readdir(SAMPLES_DIR)).filter((f) => f.endsWith('.jpg')).sort();
  const out: Record<string, GoldenAnalysis> = {};
  for (const file of files) {
    const { width, height, focalPoint, roi, method, shot, people, crops, keep } = await analyzeImage(join(SAMPLES_DIR, file), { text: false });
    out[file] = { width, height, focalPoint, roi, method, shot, people, crops, keep };
  }
  return out;
}
