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
 * lineage of the whole catalogue — and returns each image's hash and lineage, in the order given, and
 * the lineages they are in, with all their members.
 */
export async function runClusterJob(job: Job<ClusterJobData>, deps: ClusterJobDeps): Promise<ClusterJobResult> {
  try {
    checkJobData<ClusterJobData>(ClusterJobDataCheck, job.data, CLUSTER_QUEUE);
    const sources = job.data.images;
    const outcomes = await analyseAll(job, deps);
    const lineageOf = new Map<string, string | undefined>();
    for (const outcome of outcomes) {
      if ('hash' in outcome && !lineageOf.has(outcome.hash)) lineageOf.set(outcome.hash, await deps.catalogue.lineageOf(outcome.hash));
    }
    const images: NonNullable<ClusterJobResult['images']> = [];
    const failed: ClusterJobResult['failed'] = [];
    outcomes.forEach((outcome, i) => {
      const source = sources[i] as ImageSource;
      if ('error' in outcome) return failed.push({ source, error: outcome.error });
      const lineage = lineageOf.get(outcome.hash);
      // Deleted (DELETE /v1/images/:hash) since its analysis: that image failed, not the batch.
      if (!lineage) return failed.push({ source, error: { code: 'NOT_FOUND', message: `image ${outcome.hash} was deleted while the cluster job ran` } });
      return images.push({ source, hash: outcome.hash, lineage });
    });
    const lineages = [];
    for (const id of [...new Set(images.map((image) => image.lineage))].sort()) {
      const lineage = await deps.catalogue.lineage(id);
      if (lineage) lineages.push(lineage);
    }
    await job.updateProgress(100);
    return { images, lineages, failed };
  } catch (e) {
    throw toJobFailure(e);
  }
}

/** Each source's image hash, or why it could not be analysed, in the order of the sources. */
async function analyseAll(job: Job<ClusterJobData>, deps: ClusterJobDeps): Promise<Array<{ hash: string } | { error: { code: string; message: string } }>> {
  const sources = job.data.images;
  const ids = await Promise.all(sources.map((source) => deps.queues.submitAnalyze(source)));
  let done = 0;
  return Promise.all(
    ids.map(async (id) => {
      try {
        const child = await deps.queues.analyze.getJob(id);
        if (!child) throw new ArtmetaError('INTERNAL', `analysis job ${id} vanished`);
        const result: AnalyzeJobResult = await child.waitUntilFinished(deps.events, deps.analysisTimeoutMs);
        return { hash: result.hash };
      } catch (e) {
        return { error: missingAnalysis(e, deps.analysisTimeoutMs) };
      } finally {
        done++;
        await job.updateProgress(Math.round((90 * done) / sources.length));
      }
    }),
  );
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
