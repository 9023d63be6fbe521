import type { Job, QueueEvents } from 'bullmq';
import { ArtmetaError, isArtmetaError } from '../../analysis/errors.ts';
import { checkJobData } from './job-data.ts';
import { parseJobFailure, toJobFailure } from './job-failure.ts';
import { CLUSTER_QUEUE, ClusterJobDataCheck, type AnalyzeJobResult, type ClusterJobData, type ClusterJobResult, type ImageSource } from './job-schema.ts';
import type { ArtmetaQueues } from './queues.ts';
import type { CatalogueIndex } from '../catalogue/catalogue-index.ts';

export interface ClusterJobDeps {
  queues: ArtmetaQueues;
  events: QueueEvents;
  catalogue: CatalogueIndex;
  /** Longest wait for one image's analysis, ms. */
  analysisTimeoutMs: number;
}

/**
 * One `cluster` job: adds the images to the catalogue — each is analysed as its own `analyze` job
 * (so the batch fans out over all workers and reuses earlier analyses), which puts it into its
 * lineage of the whole catalogue — and returns the lineages they are in, with all their members.
 */
export async function runClusterJob(job: Job<ClusterJobData>, deps: ClusterJobDeps): Promise<ClusterJobResult> {
  try {
    checkJobData<ClusterJobData>(ClusterJobDataCheck, job.data, CLUSTER_QUEUE);
    const analysed = await analyseAll(job, deps);
    const ids = new Set<string>();
    for (const hash of analysed.hashes) {
      const id = await deps.catalogue.lineageOf(hash);
      if (!id) throw new ArtmetaError('INTERNAL', `analysed image ${hash} is in no lineage`);
      ids.add(id);
    }
    const lineages = [];
    for (const id of [...ids].sort()) {
      const lineage = await deps.catalogue.lineage(id);
      if (lineage) lineages.push(lineage);
    }
    await job.updateProgress(100);
    return { lineages, failed: analysed.failed };
  } catch (e) {
    throw toJobFailure(e);
  }
}

async function analyseAll(job: Job<ClusterJobData>, deps: ClusterJobDeps) {
  const sources = job.data.images;
  const ids = await Promise.all(sources.map((source) => deps.queues.submitAnalyze(source)));
  const hashes = new Set<string>();
  const failed: { source: ImageSource; error: { code: string; message: string } }[] = [];
  let done = 0;
  await Promise.all(
    ids.map(async (id, i) => {
      const source = sources[i] as ImageSource;
      try {
        const child = await deps.queues.analyze.getJob(id);
        if (!child) throw new ArtmetaError('INTERNAL', `analysis job ${id} vanished`);
        const result: AnalyzeJobResult = await child.waitUntilFinished(deps.events, deps.analysisTimeoutMs);
        hashes.add(result.hash);
      } catch (e) {
        failed.push({ source, error: missingAnalysis(e, deps.analysisTimeoutMs) });
      }
      done++;
      await job.updateProgress(Math.round((90 * done) / sources.length));
    }),
  );
  return { hashes: [...hashes].sort(), failed };
}

/** Why an image's analysis is missing from a cluster job: the analysis job's failure, or a wait that ran out. */
function missingAnalysis(thrown: unknown, timeoutMs: number): { code: string; message: string } {
  if (isArtmetaError(thrown)) return thrown.toJSON();
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  // BullMQ's waitUntilFinished says so only in words; its job is still queued or running.
  if (message.includes('timed out before finishing')) {
    return { code: 'TIMED_OUT', message: `its analysis did not finish within ARTMETA_ANALYSIS_TIMEOUT_MS (${timeoutMs} ms); it goes on, and a clustering submitted later finds it` };
  }
  return parseJobFailure(message);
}
