import { writeFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { Command } from 'commander';
import sharp from 'sharp';
import { contactSheetReport, type ContactSheetMember } from '../../analysis/lineage/contact-sheet-report.ts';
import { LineageIndex, type Lineage } from '../../analysis/lineage/lineage-clustering.ts';
import { decodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { similarity } from '../../analysis/lineage/similarity-index.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { AnalysisPool } from '../../service/threads/analysis-pool.ts';
import { listImageFiles } from '../image-files.ts';
import { startProgress } from '../progress.ts';
import { analysisThreads, positiveInteger } from '../thread-count.ts';

interface ClusterCommandOptions {
  out?: string;
  report?: string;
  threads?: number;
}

/** `artmeta cluster <dir>`: groups the images under dir into lineages of one background image. */
export function register(program: Command): void {
  program
    .command('cluster')
    .description('group derivatives of the same background image (crops, resizes, colour, titles) into lineages')
    .argument('<dir>', 'directory of images (walked recursively)')
    .option('--out <lineages.json>', 'write the result here instead of stdout')
    .option('--report <report.html>', 'write an HTML contact sheet per lineage with the index values')
    .option('--threads <n>', 'threads computing signatures (default: one per core)', positiveInteger)
    .action(async (dir: string, options: ClusterCommandOptions) => {
      const paths = await listImageFiles([dir]);
      const ids = paths.map((p) => relative(dir, p).split(sep).join('/'));
      await loadOpenCV();
      const signatures = await signaturesOnThreads(paths, analysisThreads(paths.length, options.threads));
      const progress = startProgress(paths.length, 'cluster');
      const index = new LineageIndex();
      const assigned = index.cluster(
        ids.map((id, k) => ({ id, signature: signatures[k]! })),
        () => progress.tick(),
      );
      progress.stop();
      const lineages = index.list();
      const result = { images: Object.fromEntries(ids.map((id) => [id, assigned.get(id)!])), lineages };
      const json = `${JSON.stringify(result, null, 2)}\n`;
      if (options.out) await writeFile(options.out, json);
      else process.stdout.write(json);
      if (options.report) await writeReport(options.report, dir, ids, signatures, lineages);
      process.stderr.write(`artmeta: ${ids.length} images in ${lineages.length} lineages\n`);
    });
}

/** The lineage signature of every file, computed on a pool of threads (one per core by default). */
async function signaturesOnThreads(paths: string[], threads: number): Promise<ImageSignature[]> {
  const pool = new AnalysisPool({ threads });
  const progress = startProgress(paths.length, 'signatures');
  try {
    return await Promise.all(
      paths.map(async (path) => {
        const signature = decodeSignature(await pool.signature(path));
        progress.tick();
        return signature;
      }),
    );
  } finally {
    progress.stop();
    await pool.close();
  }
}

async function writeReport(path: string, dir: string, ids: string[], signatures: ImageSignature[], lineages: Lineage[]): Promise<void> {
  const signatureOf = new Map(ids.map((id, k) => [id, signatures[k]!]));
  const members = new Map<string, ContactSheetMember>();
  for (const lineage of lineages) {
    const root = signatureOf.get(lineage.representative)!;
    for (const id of lineage.members) {
      const thumbnail = await sharp(`${dir}/${id}`).resize(180, 140, { fit: 'inside' }).jpeg({ quality: 70 }).toBuffer();
      members.set(id, {
        id,
        thumbnailSrc: `data:image/jpeg;base64,${thumbnail.toString('base64')}`,
        ...(id === lineage.representative ? {} : { similarity: similarity(signatureOf.get(id)!, root) }),
      });
    }
  }
  await writeFile(path, contactSheetReport(lineages, members));
}
