import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { Analysis, FailedAnalysis } from '../../analysis/analysis-schema.ts';
import type { AnalyzeOptions } from '../../analysis/analyze-image.ts';
import { DEFAULT_CANVASES } from '../../analysis/crop/canvas-spec.ts';
import { DEFAULT_DECODE_OPTIONS } from '../../analysis/image/decode-image.ts';
import { describeError } from '../../analysis/errors.ts';
import { renderDebugOverlay } from '../../analysis/render/debug-overlay.ts';
import { parseAnalyzeRequest, type AnalyzeRequest } from '../../service/request/analyze-request.ts';
import { AnalysisPool } from '../../service/threads/analysis-pool.ts';
import { listImageFiles } from '../image-files.ts';
import { refuseUrlInput } from '../url-input.ts';
import { cannotWrite, openOutputFile } from '../output-file.ts';
import { analysisThreads, positiveInteger } from '../thread-count.ts';
import { startProgress } from '../progress.ts';

/** Analysed when `artmeta analyze` is given no input: real photos shipped with the repo. */
const SAMPLES_DIR = fileURLToPath(new URL('../../samples/', import.meta.url));

interface AnalyzeCommandOptions {
  aspect: string;
  out?: string;
  debugDir?: string;
  threads?: number;
  maxPixels: number;
  text: boolean;
  place?: string;
}

export function register(program: Command): void {
  program
    .command('analyze')
    .description('focal point, region of interest, crop hints, text regions and (with --place) where a new box can go, for each image: one JSON line per image')
    .argument('[inputs...]', 'image files or directories (default: the bundled samples/)')
    .option('--aspect <list>', 'canvases: ratios (16:9) or pixel sizes (1280x720), comma-separated', DEFAULT_CANVASES.join(','))
    .option('--out <file.jsonl>', 'write the JSON lines here instead of stdout')
    .option('--debug-dir <dir>', 'write a picture per image with everything found drawn on it')
    .option('--place <WxH[@anchors]>', 'where a new box (badge, subtitle) can go: 300x80, 20%x8%@corners, 60%x10%@subtitle (anchors default: corners and centers)')
    .option('--no-text', 'skip text detection')
    .option('--threads <n>', 'worker threads (default: one per core)', positiveInteger)
    .option('--max-pixels <n>', 'refuse images with more pixels (decompression bombs)', positiveInteger, DEFAULT_DECODE_OPTIONS.maxPixels)
    .action(async (inputs: string[], options: AnalyzeCommandOptions) => {
      // Bad options are refused before any work starts.
      const request = parseAnalyzeRequest({ aspects: options.aspect, text: options.text, ...(options.place !== undefined ? { place: options.place } : {}) }, DEFAULT_CANVASES);
      const { files, unreadable } = await listImageFiles(inputs.length > 0 ? inputs : [SAMPLES_DIR]);
      const failed = unreadable.length + (await analyzeFiles(files, unreadable, request, options));
      process.stderr.write(`artmeta: ${files.length + unreadable.length - failed} analysed, ${failed} failed\n`);
      if (failed > 0) process.exitCode = 1;
    });
}

/** Analyses every file on a thread pool, writing lines in input order after those of the folders it could not list; returns how many files failed. */
async function analyzeFiles(files: string[], unreadable: FailedAnalysis[], request: AnalyzeRequest, options: AnalyzeCommandOptions): Promise<number> {
  // Nothing is stored here, so skipping text detection (--no-text) saves its time.
  const analyzeOptions: AnalyzeOptions = { aspects: request.canvases, maxPixels: options.maxPixels, text: request.text, ...(request.place ? { place: request.place } : {}) };
  // Where the results go is checked before any thread starts: a bad path is a message, not a crash or a hang.
  if (options.debugDir) await mkdir(options.debugDir, { recursive: true }).catch((e: NodeJS.ErrnoException) => cannotWrite('--debug-dir', options.debugDir!, e));
  const out = options.out ? await openOutputFile('--out', options.out) : process.stdout;
  const debugNames = debugPictureNames(files);
  const pool = new AnalysisPool({ threads: analysisThreads(files.length, options.threads) });
  const progress = startProgress(files.length, 'analyze');
  let failed = 0;
  try {
    for (const line of unreadable) out.write(JSON.stringify(line) + '\n');
    const pending = files.map(async (file, k): Promise<Analysis | FailedAnalysis> => {
      try {
        await refuseUrlInput(file);
        const analysis = { file, ...(await pool.analyze(file, analyzeOptions)) };
        // The analysis stands even when its debug picture cannot be written (disk full, bad dir).
        if (options.debugDir) {
          await writeDebugPicture(join(options.debugDir, debugNames[k]!), file, analysis).catch((e: unknown) => {
            const { code, message } = describeError(e);
            process.stderr.write(`artmeta: no debug picture for ${file}: ${code}: ${message}\n`);
          });
        }
        return analysis;
      } catch (e) {
        failed++;
        return { file, error: describeError(e) };
      } finally {
        progress.tick();
      }
    });
    for (const line of pending) out.write(JSON.stringify(await line) + '\n');
  } finally {
    progress.stop();
    await pool.close();
    if (out !== process.stdout) await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  return failed;
}

/**
 * The debug picture's name for each file, in input order: `name.debug.jpg`, and `name-2.debug.jpg`
 * for the next file of that name (folders are not mirrored, so two `cover.jpg` would overwrite each other).
 */
function debugPictureNames(files: readonly string[]): string[] {
  const used = new Set<string>();
  return files.map((file) => {
    const stem = basename(file, extname(file));
    let name = `${stem}.debug.jpg`;
    for (let n = 2; used.has(name); n++) name = `${stem}-${n}.debug.jpg`;
    used.add(name);
    return name;
  });
}

async function writeDebugPicture(path: string, file: string, analysis: Analysis): Promise<void> {
  const picture = await renderDebugOverlay(file, analysis);
  await writeFile(path, picture).catch((e: NodeJS.ErrnoException) => cannotWrite('--debug-dir', path, e));
}
