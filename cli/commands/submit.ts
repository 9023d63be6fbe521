import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Job } from 'bullmq';
import type { Command } from 'commander';
import { ArtmetaError, describeError } from '../../analysis/errors.ts';
import { parseJobFailure } from '../../service/queue/job-failure.ts';
import type { AnalyzeJobResult, ImageSource } from '../../service/queue/job-schema.ts';
import { ArtmetaQueues } from '../../service/queue/queues.ts';
import { connectReachableRedis } from '../../service/queue/redis-connection.ts';
import { parseAnalyzeRequest } from '../../service/request/analyze-request.ts';
import { stageUpload } from '../../service/store/analysis-cache.ts';
import { ResultStore } from '../../service/store/result-store.ts';
import type { ArtmetaConfig } from '../../service/config.ts';
import { listImageFiles } from '../image-files.ts';
import { ENVIRONMENT_HELP, configOrExit } from '../service-config.ts';
import { positiveInteger } from '../thread-count.ts';
import { refuseUrlInput } from '../url-input.ts';

/** `--wait`'s default longest wait per job: an analysis takes seconds, a queue backlog may take minutes. */
const DEFAULT_WAIT_SECONDS = 600;

interface SubmitOptions {
  wait?: boolean;
  aspect?: string;
  path?: boolean;
  timeout: number;
}

export function register(program: Command): void {
  program
    .command('submit')
    .addHelpText('after', ENVIRONMENT_HELP)
    .description('queue images for analysis: one JSON line per input with its job id (and with --wait, its result)')
    .argument('<inputs...>', 'image files or directories (uploaded through Redis) or http(s) URLs (fetched by the worker)')
    .option('--wait', 'wait for every job and print its result')
    .option('--aspect <list>', 'canvases to give crop hints for, e.g. 16:9,1280x720 (default: ARTMETA_ASPECTS)')
    .option('--path', 'send files as paths for the workers to read (under their ARTMETA_PATH_ROOTS) instead of uploading them')
    .option('--timeout <seconds>', 'with --wait: longest wait per job', positiveInteger, DEFAULT_WAIT_SECONDS)
    .action(async (args: string[], options: SubmitOptions) => {
      const config = configOrExit();
      const request = parseAnalyzeRequest(options.aspect !== undefined ? { aspects: options.aspect } : {}, config.analysis.aspects);
      // Directories are walked here, as `analyze` walks them; URLs pass through as they are.
      const listed = await Promise.all(args.map((input) => (isUrl(input) ? { files: [input], unreadable: [] } : listImageFiles([input]))));
      const inputs = listed.flatMap((l) => l.files);
      const connection = await connectReachableRedis(config);
      const queues = new ArtmetaQueues(connection, config);
      const store = new ResultStore(connection, config.prefix);
      const events = options.wait ? queues.analyzeEvents() : undefined;
      let failed = 0;
      for (const { file, error } of listed.flatMap((l) => l.unreadable)) {
        failed++;
        process.stdout.write(JSON.stringify({ input: file, error }) + '\n');
      }
      try {
        const submitted = await Promise.all(
          inputs.map(async (input) => {
            try {
              const source = await sourceOf(input, options, store, config);
              return { input, id: await queues.submitAnalyze(source, request) };
            } catch (e) {
              return { input, error: describeError(e) };
            }
          }),
        );
        for (const line of submitted) {
          if ('error' in line || !events) {
            if ('error' in line) failed++;
            process.stdout.write(JSON.stringify(line) + '\n');
            continue;
          }
          const job = await queues.analyze.getJob(line.id);
          try {
            const result = (await job?.waitUntilFinished(events, options.timeout * 1000)) as AnalyzeJobResult;
            process.stdout.write(JSON.stringify({ ...line, ...result }) + '\n');
          } catch (e) {
            failed++;
            process.stdout.write(JSON.stringify({ ...line, ...(await unfinishedOutcome(job, e)) }) + '\n');
          }
        }
      } finally {
        await events?.close();
        await queues.close();
        await connection.quit();
      }
      process.exitCode = failed > 0 ? 1 : 0;
    });
}

async function sourceOf(input: string, options: SubmitOptions, store: ResultStore, config: ArtmetaConfig): Promise<ImageSource> {
  if (isUrl(input)) return { url: input };
  await refuseUrlInput(input);
  if (options.path) return { path: resolve(input) };
  return { upload: await stageUpload(store, await readUpload(input, config.api.uploadMaxBytes), config.jobs.uploadTtlSeconds) };
}

function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

/** A file to upload, refused before it is read when it is over the upload limit the API also holds to. */
async function readUpload(path: string, maxBytes: number): Promise<Buffer> {
  const { size } = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new ArtmetaError('NOT_FOUND', `cannot read ${path}: ${e.code ?? e.message}`);
  });
  if (size > maxBytes) throw new ArtmetaError('INPUT_TOO_LARGE', `${path} is ${size} bytes, over ARTMETA_UPLOAD_MAX_BYTES=${maxBytes}`);
  return readFile(path);
}

/**
 * What `--wait` says of a job it stopped waiting for: a job that failed gets its error; one still queued
 * or running when `--timeout` ran out gets its state, as `GET /v1/jobs/:id` names it — the job goes on,
 * so it is not reported as an error of its own.
 */
async function unfinishedOutcome(job: Job | undefined, waitError: unknown): Promise<{ state: string } | { error: ReturnType<typeof parseJobFailure> }> {
  const state = await job?.getState();
  if (state !== undefined && state !== 'failed' && state !== 'completed' && state !== 'unknown') return { state };
  return { error: parseJobFailure((waitError as Error).message) };
}
