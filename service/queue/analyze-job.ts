import type { Job } from 'bullmq';
import type { AnalyzeOptions } from '../../analysis/analyze-image.ts';
import { contentHash } from './job-id.ts';
import { toJobFailure } from './job-failure.ts';
import type { AnalyzeJobData, AnalyzeJobResult } from './job-schema.ts';
import type { ImageAnalyzer } from './image-analyzer.ts';
import type { ImageLoader } from './image-loader.ts';
import type { ResultStore } from '../store/result-store.ts';
import type { CatalogueAssigner } from '../catalogue/catalogue-assigner.ts';
import { hasCanvases, storedCropHints } from '../../analysis/crop/stored-crop-hints.ts';

export interface AnalyzeJobDeps {
  store: ResultStore;
  analyzer: ImageAnalyzer;
  load: ImageLoader;
  /** Canvases every analysis stores, on top of those a job asks for. */
  aspects: readonly string[];
  maxPixels: number;
  /** The catalogue-wide lineage index every analysed image joins; none = no lineage in the result. */
  catalogue?: CatalogueAssigner;
}

/**
 * One `analyze` job: read the source, and unless the same bytes were analysed before with what the
 * job asks for, analyse them (on a worker thread) and store the result under their hash.
 */
export async function runAnalyzeJob(job: Job<AnalyzeJobData>, deps: AnalyzeJobDeps): Promise<AnalyzeJobResult> {
  try {
    const result = await analyzeOrReuse(job, deps);
    return deps.catalogue && result.signature ? { ...result.job, lineage: await deps.catalogue.assign(result.job.hash, result.signature) } : result.job;
  } catch (e) {
    throw toJobFailure(e);
  }
}

/**
 * Deletes a job's upload once the job is finished for good. Only then: a job whose completion
 * did not reach Redis (crash, Redis restart) runs again and needs its bytes. Uploads whose delete
 * is missed expire (ARTMETA_UPLOAD_TTL_SECONDS).
 */
export async function releaseUpload(job: Job<AnalyzeJobData> | undefined, store: ResultStore, final: boolean): Promise<void> {
  if (!job || !final || !('upload' in job.data.source)) return;
  await store.deleteUpload(job.data.source.upload).catch(() => undefined);
}

async function analyzeOrReuse(job: Job<AnalyzeJobData>, deps: AnalyzeJobDeps): Promise<{ job: AnalyzeJobResult; signature?: string }> {
  const { source, aspects = [], text, place } = job.data;
  const bytes = await deps.load(source);
  await job.updateProgress(20);
  const hash = contentHash(bytes);
  const wanted = aspects.length > 0 ? aspects : deps.aspects;
  const stored = await deps.store.get(hash);
  const known = stored?.analysis;
  if (known && stored.signature && hasCanvases(known, wanted) && (text === false || known.text) && (place === undefined || known.placement)) {
    return { job: { hash, cached: true, analysis: { ...known, crops: storedCropHints(known, wanted) } }, signature: stored.signature };
  }
  const options: AnalyzeOptions = {
    aspects: [...new Set([...deps.aspects, ...aspects])],
    maxPixels: deps.maxPixels,
    ...(text !== undefined ? { text } : {}),
    ...(place !== undefined ? { place } : {}),
  };
  const { analysis, signature } = await deps.analyzer.analyze(bytes, options);
  await job.updateProgress(90);
  await deps.store.save(hash, analysis, signature);
  return {
    job: { hash, cached: false, analysis: { ...analysis, crops: storedCropHints(analysis, wanted) } },
    ...(signature !== undefined ? { signature } : {}),
  };
}
