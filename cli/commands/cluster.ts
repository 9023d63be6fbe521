import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { relative, sep } from 'node:path';
import type { Command } from 'commander';
import sharp from 'sharp';
import type { FailedAnalysis } from '../../analysis/analysis-schema.ts';
import { ArtmetaError, describeError } from '../../analysis/errors.ts';
import { contactSheetReport, type ContactSheetMember } from '../../analysis/lineage/contact-sheet-report.ts';
import { LineageIndex, type Lineage } from '../../analysis/lineage/lineage-clustering.ts';
import { ParallelClustering } from '../../analysis/lineage/parallel-clustering.ts';
import { decodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { similarity } from '../../analysis/lineage/similarity-index.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { AnalysisPool } from '../../service/threads/analysis-pool.ts';
import { VerificationPool } from '../../service/threads/verification-pool.ts';
import { listImageFiles } from '../image-files.ts';
import { openOutputFile, writeAndClose } from '../output-file.ts';
import { startProgress } from '../progress.ts';
import { analysisThreads, nonNegativeInteger, positiveInteger } from '../thread-count.ts';
import { refuseUrlInput } from '../url-input.ts';

interface ClusterCommandOptions {
  out?: string;
  report?: string;
  threads?: number;
  verifyThreads?: number;
}

/**
 * Below this many images the clustering verifies on the main thread: a verification thread takes ~1 s
 * to start (its own OpenCV), more than a folder of a few hundred images spends verifying (~2 pairs per
 * image at ~2 ms each).
 */
const PARALLEL_VERIFICATION_MIN_IMAGES = 1000;

/** `artmeta cluster <dir>`: groups the images under dir into lineages of one background image. */
export function register(program: Command): void {
  program
    .command('cluster')
    .description('group derivatives of the same background image (crops, resizes, colour, titles) into lineages')
    .argument('<dir>', 'directory of images (walked recursively)')
    .option('--out <lineages.json>', 'write the result here instead of stdout')
    .option('--report <report.html>', 'write an HTML contact sheet per lineage with the index values')
    .option('--threads <n>', 'threads computing signatures (default: one per core)', positiveInteger)
    .option(
      '--verify-threads <n>',
      `threads verifying pairs while clustering, 0 = the main thread alone (default: one per core from ${PARALLEL_VERIFICATION_MIN_IMAGES} images, else 0); the lineages are the same either way`,
      nonNegativeInteger,
    )
    .action(async (dir: string, options: ClusterCommandOptions) => {
      await requireDirectory(dir);
      const out = options.out ? await openOutputFile('--out', options.out) : undefined;
      const report = options.report ? await openOutputFile('--report', options.report) : undefined;
      const { files: paths, unreadable } = await listImageFiles([dir]);
      const idOf = (path: string) => relative(dir, path).split(sep).join('/');
      const ids = paths.map(idOf);
      await loadOpenCV();
      const signatures = await signaturesOnThreads(paths, analysisThreads(paths.length, options.threads));
      // A file that cannot be read is reported and left out, as `analyze` does: one bad file among
      // thousands must not cost the run.
      const images: ClusterImage[] = [];
      const failed: FailedAnalysis[] = unreadable.map(({ file, error }) => ({ file: idOf(file), error }));
      ids.forEach((id, k) => {
        const signature = signatures[k]!;
        if ('error' in signature) failed.push({ file: id, error: signature.error });
        else images.push({ id, signature });
      });
      const verifyThreads = options.verifyThreads ?? (images.length >= PARALLEL_VERIFICATION_MIN_IMAGES ? availableParallelism() : 0);
      const { assigned, lineages } = await clusterImages(images, verifyThreads);
      const result = { images: Object.fromEntries(images.map(({ id }) => [id, assigned.get(id)!])), lineages, failed };
      const json = `${JSON.stringify(result, null, 2)}\n`;
      if (out) await writeAndClose(out, json);
      else process.stdout.write(json);
      if (report) await writeAndClose(report, await contactSheet(dir, images, lineages));
      process.stderr.write(`artmeta: ${images.length} images in ${lineages.length} lineages, ${failed.length} failed\n`);
      if (failed.length > 0) process.exitCode = 1;
    });
}

interface ClusterImage {
  id: string;
  signature: ImageSignature;
}

async function requireDirectory(dir: string): Promise<void> {
  await refuseUrlInput(dir);
  const info = await stat(dir).catch((e: NodeJS.ErrnoException) => {
    throw new ArtmetaError('NOT_FOUND', `cannot read ${dir}: ${e.code ?? e.message}`);
  });
  if (!info.isDirectory()) throw new ArtmetaError('INVALID_ARGUMENT', `${dir} is not a directory`);
}

/** LineageIndex.cluster, with its verifications on `threads` threads when there are any (same lineages). */
async function clusterImages(images: ClusterImage[], threads: number): Promise<{ assigned: Map<string, string>; lineages: Lineage[] }> {
  const progress = startProgress(images.length, 'cluster');
  try {
    if (threads === 0) {
      const index = new LineageIndex();
      return { assigned: index.cluster(images, () => progress.tick()), lineages: index.list() };
    }
    const pool = new VerificationPool({ threads });
    try {
      const clustering = new ParallelClustering(pool.session());
      return { assigned: await clustering.cluster(images, () => progress.tick()), lineages: clustering.index.list() };
    } finally {
      await pool.close();
    }
  } finally {
    progress.stop();
  }
}

/** The lineage signature of every file (or why it has none), computed on a pool of threads (one per core by default). */
async function signaturesOnThreads(paths: string[], threads: number): Promise<Array<ImageSignature | Pick<FailedAnalysis, 'error'>>> {
  const pool = new AnalysisPool({ threads });
  const progress = startProgress(paths.length, 'signatures');
  try {
    return await Promise.all(
      paths.map(async (path) => {
        try {
          return decodeSignature(await pool.signature(path));
        } catch (e) {
          return { error: describeError(e) };
        } finally {
          progress.tick();
        }
      }),
    );
  } finally {
    progress.stop();
    await pool.close();
  }
}

async function contactSheet(dir: string, images: ClusterImage[], lineages: Lineage[]): Promise<string> {
  const signatureOf = new Map(images.map(({ id, signature }) => [id, signature]));
  const members = new Map<string, ContactSheetMember>();
  for (const lineage of lineages) {
    const root = signatureOf.get(lineage.representative)!;
    for (const id of lineage.members) {
      // As displayed, as /render draws a JPEG: EXIF orientation applied, transparency on the page's white (JPEG would make it black).
      const thumbnail = await sharp(`${dir}/${id}`)
        .autoOrient()
        .resize(180, 140, { fit: 'inside' })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 70 })
        .toBuffer();
      members.set(id, {
        id,
        thumbnailSrc: `data:image/jpeg;base64,${thumbnail.toString('base64')}`,
        ...(id === lineage.representative ? {} : { similarity: similarity(signatureOf.get(id)!, root) }),
      });
    }
  }
  return contactSheetReport(lineages, members);
}
