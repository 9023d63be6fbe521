import type { Job, QueueEvents } from 'bullmq';
import { ArtmetaError } from '../../analysis/errors.ts';
import { parseJobFailure, toJobFailure } from './job-failure.ts';
import type { AnalyzeJobResult, ClusterJobData, ClusterJobResult, ImageSource } from './job-schema.ts';
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
    const analysed = await analyseAll(job, deps);
    const ids = new Set<string>();
    for (const [hash, source] of analysed.sources) {
      const id = await deps.catalogue.lineageOf(hash);
      // Deleted (DELETE /v1/images/:hash) since its analysis: that image failed, not the batch.
      if (id) ids.add(id);
      else analysed.failed.push({ source, error: { code: 'NOT_FOUND', message: `image ${hash} was deleted while the cluster job ran` } });
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
  const analysed = new Map<string, ImageSource>();
  const failed: { source: ImageSource; error: { code: string; message: string } }[] = [];
  let done = 0;
  await Promise.all(
    ids.map(async (id, i) => {
      const source = sources[i] as ImageSource;
      try {
        const child = await deps.queues.analyze.getJob(id);
        if (!child) throw new ArtmetaError('INTERNAL', `analysis job ${id} vanished`);
        const result: AnalyzeJobResult = await child.waitUntilFinished(deps.events, deps.analysisTimeoutMs);
        if (!analysed.has(result.hash)) analysed.set(result.hash, source);
      } catch (e) {
        failed.push({ source, error: parseJobFailure(e instanceof Error ? e.message : String(e)) });
      }
      done++;
      await job.updateProgress(Math.round((90 * done) / sources.length));
    }),
  );
  return { sources: [...analysed].sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)), failed };
}
