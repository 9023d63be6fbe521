import type { Analysis } from '../analysis/analysis-schema.ts';
import type { ArtmetaConfig } from '../service/config.ts';
import { parseCanvasList } from '../analysis/crop/canvas-spec.ts';
import { ArtmetaError } from '../analysis/errors.ts';
import type { Box, Point } from '../analysis/geometry/box.ts';
import type { ImageAnalyzer } from '../service/queue/image-analyzer.ts';
import { contentHash } from '../service/queue/job-id.ts';
import type { ResultStore } from '../service/store/result-store.ts';
import { storedCropHints } from '../analysis/crop/stored-crop-hints.ts';
import { fetchUrl } from '../service/sources/url-source.ts';
import type { RequestImage } from './request-image.ts';

export interface CropHintAnswer {
  hash: string;
  /** True when the image had been analysed before and the answer comes from the store. */
  cached: boolean;
  width: number;
  height: number;
  focalPoint: Point;
  crops: Record<string, Box>;
}

/**
 * Crop hints on demand: from the store when the image's bytes are known (one Redis read), else
 * analysed at once on the API's analysis threads and stored for next time.
 */
export class CropHintService {
  constructor(
    private readonly config: ArtmetaConfig,
    private readonly store: ResultStore,
    private readonly analyzer: ImageAnalyzer,
  ) {}

  /** Requested canvases from `?aspect=16:9,1:1`; the configured ones when absent. */
  aspects(query: string | undefined): string[] {
    const aspects = query ? parseCanvasList(query).map((c) => c.label) : this.config.analysis.aspects;
    if (aspects.length > 32) throw new ArtmetaError('INVALID_ARGUMENT', 'at most 32 canvases per request');
    return aspects;
  }

  async forKnown(hash: string, aspects: readonly string[]): Promise<CropHintAnswer> {
    const analysis = await this.store.getAnalysis(hash);
    if (!analysis) throw new ArtmetaError('NOT_FOUND', `image ${hash} has not been analysed`);
    return answer(hash, true, analysis, aspects);
  }

  async forImage(image: RequestImage, aspects: readonly string[]): Promise<CropHintAnswer> {
    const bytes = 'bytes' in image ? image.bytes : await fetchUrl(image.url, this.config.sources.url);
    if (bytes.length === 0) throw new ArtmetaError('EMPTY_INPUT', 'input is empty (0 bytes)');
    const hash = contentHash(bytes);
    const known = await this.store.getAnalysis(hash);
    if (known) return answer(hash, true, known, aspects);
    const options = { aspects: [...new Set([...this.config.analysis.aspects, ...aspects])], maxPixels: this.config.analysis.maxPixels };
    const { analysis, signature } = await this.analyzer.analyze(bytes, options);
    await this.store.save(hash, analysis, signature);
    return answer(hash, false, analysis, aspects);
  }
}

function answer(hash: string, cached: boolean, analysis: Analysis, aspects: readonly string[]): CropHintAnswer {
  return {
    hash,
    cached,
    width: analysis.width,
    height: analysis.height,
    focalPoint: analysis.focalPoint,
    crops: storedCropHints(analysis, aspects),
  };
}
