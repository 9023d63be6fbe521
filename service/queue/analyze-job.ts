import type { Job } from 'bullmq';
import { checkJobData } from './job-data.ts';
import { toJobFailure } from './job-failure.ts';
import { ANALYZE_QUEUE, AnalyzeJobDataCheck, type AnalyzeJobData, type AnalyzeJobResult } from './job-schema.ts';
import type { AnalysisCache } from '../store/analysis-cache.ts';
import type { ResultStore } from '../store/result-store.ts';
import type { CatalogueAssigner } from '../catalogue/catalogue-assigner.ts';

/**
 * One `analyze` job: the answer for its source and request, from the stored analysis of the same
 * bytes or from a new one (on a worker thread), stored under their hash; then the image's lineage
 * in the catalogue (`catalogue`: every image joins it as it arrives).
 */
export async function runAnalyzeJob(job: Job<AnalyzeJobData>, cache: AnalysisCache, catalogue?: CatalogueAssigner): Promise<AnalyzeJobResult> {
  try {
    const { source, request } = checkJobData<AnalyzeJobData>(AnalyzeJobDataCheck, job.data, ANALYZE_QUEUE);
    const answer = await cache.forSource(source, request);
    const lineage = await catalogue?.assignStored(answer.hash);
    await job.updateProgress(100);
    return lineage ? { ...answer, lineage } : answer;
  } catch (e) {
    throw toJobFailure(e);
  }
}

/**
 * Deletes a completed job's upload: its analysis is stored, so every other job on the same upload
 * (and a re-run of this one) is answered from the store without the bytes. A failed job's upload
 * is left to expire (ARTMETA_UPLOAD_TTL_SECONDS): another job on it deserves its own attempt.
 */
export async function releaseUpload(job: Job<AnalyzeJobData>, store: ResultStore): Promise<void> {
  if (!('upload' in job.data.source)) return;
  await store.deleteUpload(job.data.source.upload).catch(() => undefined);
}
