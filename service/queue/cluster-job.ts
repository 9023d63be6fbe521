import type { Job, QueueEvents } from 'bullmq';
import { ArtmetaError } from '../../analysis/errors.ts';
import { parseJobFailure, toJobFailure } from './job-failure.ts';
import type { AnalyzeJobResult, ClusterJobData, ClusterJobResult, ImageSource } from './job-schema.ts';
import type { LineageGrouper } from './lineage-grouper.ts';
import type { ArtmetaQueues } from './queues.ts';
import type { ResultStore } from '../store/result-store.ts';

export interface ClusterJobDeps {
  queues: ArtmetaQueues;
  events: QueueEvents;
  store: ResultStore;
  group: LineageGrouper;
  /** Longest wait for one image's analysis, ms. */
  analysisTimeoutMs: number;
}

/**
 * One `cluster` job: every image is analysed as its own `analyze` job (so the batch fans out over
 * all workers and reuses earlier analyses), then the signatures are grouped into lineages, which are
 * stored (membership per image and per lineage) and returned.
 */
export async function runClusterJob(job: Job<ClusterJobData>, deps: ClusterJobDeps): Promise<ClusterJobResult> {
  try {
    const analysed = await analyseAll(job, deps);
    const signatures = await deps.store.signatures(analysed.hashes);
    const signed = analysed.hashes.flatMap((hash, i) => {
      const signature = signatures[i];
      return signature ? [{ hash, signature }] : [];
    });
    if (signed.length < analysed.hashes.length) {
      throw new ArtmetaError('INTERNAL', `${analysed.hashes.length - signed.length} analysed images have no lineage signature`);
    }
    const lineages = (await deps.group(signed)).map((l) => ({ id: l.id, members: [...l.members].sort() }));
    await deps.store.saveLineages(lineages);
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
        failed.push({ source, error: parseJobFailure(e instanceof Error ? e.message : String(e)) });
      }
      done++;
      await job.updateProgress(Math.round((90 * done) / sources.length));
    }),
  );
  return { hashes: [...hashes].sort(), failed };
}
