import type { Analysis } from '../../analysis/analysis-schema.ts';
import { storedCropHints } from '../../analysis/crop/stored-crop-hints.ts';
import { ArtmetaError } from '../../analysis/errors.ts';
import { storedPlacement } from '../../analysis/text/stored-placement.ts';
import type { ImageAnalyzer } from '../queue/image-analyzer.ts';
import type { ImageLoader } from '../queue/image-loader.ts';
import { contentHash } from '../queue/job-id.ts';
import type { ImageSource } from '../queue/job-schema.ts';
import type { AnalyzeRequest } from '../request/analyze-request.ts';
import type { ResultStore, StoredImage } from './result-store.ts';

/** An answer to one analysis request: the image's hash and the analysis shaped by the request. */
export interface AnalysisAnswer {
  hash: string;
  /** True when the answer comes from the store: the same bytes had been analysed before. */
  cached: boolean;
  analysis: Analysis;
}

export interface AnalysisCacheSettings {
  /** Canvases every stored analysis computes (ARTMETA_ASPECTS), on top of those asked for. */
  aspects: readonly string[];
  maxPixels: number;
}

/**
 * The one get-or-analyse path of the service (analyze jobs, POST /v1/crop-hints, rendering): an
 * image is analysed once, completely (text and lineage signature included), stored under the hash
 * of its bytes, and every request on the same bytes is answered from that stored analysis. Crops
 * for other canvases and placements of other boxes are pure geometry on the stored boxes, so no
 * request needs the pixels again.
 */
export class AnalysisCache {
  constructor(
    private readonly store: ResultStore,
    private readonly analyzer: ImageAnalyzer,
    private readonly load: ImageLoader,
    private readonly settings: AnalysisCacheSettings,
  ) {}

  /** The answer for an image already analysed, without its bytes; undefined when it is not. */
  async known(hash: string, request: AnalyzeRequest): Promise<AnalysisAnswer | undefined> {
    const stored = await this.store.get(hash);
    return stored && isReusable(stored) ? { hash, cached: true, analysis: answerFor(stored.analysis, request) } : undefined;
  }

  /**
   * The answer for a job's source. An upload is named by its hash, so a stored analysis answers it
   * even after the bytes are gone: another job on the same upload finished and released them, or
   * this job is a re-run of one that finished (stalled, or its completion lost with Redis).
   */
  async forSource(source: ImageSource, request: AnalyzeRequest): Promise<AnalysisAnswer> {
    if ('upload' in source) {
      const known = await this.known(source.upload, request);
      if (known) return known;
    }
    let bytes: Buffer;
    try {
      bytes = await this.load(source);
    } catch (e) {
      // The upload may have been released between the two reads, by a job that stored the analysis first.
      const known = 'upload' in source ? await this.known(source.upload, request) : undefined;
      if (known) return known;
      throw e;
    }
    return this.forBytes(bytes, request);
  }

  /** The answer for image bytes: from the store when known, else analysed now and stored. */
  async forBytes(bytes: Buffer, request: AnalyzeRequest): Promise<AnalysisAnswer> {
    if (bytes.length === 0) throw new ArtmetaError('EMPTY_INPUT', 'input is empty (0 bytes)');
    const hash = contentHash(bytes);
    const known = await this.known(hash, request);
    if (known) return known;
    const { analysis, signature } = await this.analyzer.analyze(bytes, {
      aspects: [...new Set([...this.settings.aspects, ...request.canvases])],
      maxPixels: this.settings.maxPixels,
      text: true,
    });
    await this.store.save(hash, analysis, signature);
    return { hash, cached: false, analysis: answerFor(analysis, request) };
  }
}

/**
 * Keeps uploaded bytes in Redis for their job, unless the stored analysis of the same bytes already
 * answers any request: then no job will read them, and they would only wait out their TTL.
 */
export async function stageUpload(store: ResultStore, bytes: Buffer, ttlSeconds: number): Promise<string> {
  const hash = contentHash(bytes);
  const stored = await store.get(hash);
  if (stored && isReusable(stored)) return hash;
  return store.putUpload(bytes, ttlSeconds);
}

/** A stored analysis answers every request when it is complete: text found and signature computed. */
function isReusable(stored: StoredImage): boolean {
  return stored.signed && stored.analysis.text !== undefined;
}

/** A stored analysis shaped by a request: its canvases, its text choice, its placement. */
function answerFor(stored: Analysis, request: AnalyzeRequest): Analysis {
  const answer: Analysis = { ...stored, crops: storedCropHints(stored, request.canvases) };
  delete answer.placement;
  if (!request.text) delete answer.text;
  if (request.place) answer.placement = storedPlacement(stored, request.place);
  return answer;
}
