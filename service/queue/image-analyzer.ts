import type { Analysis } from '../../analysis/analysis-schema.ts';
import type { AnalyzeOptions } from '../../analysis/analyze-image.ts';
import { AnalysisPool } from '../threads/analysis-pool.ts';

/** One analysed image: the analysis and, when computed, its encoded lineage signature (base64). */
export interface AnalyzedImage {
  analysis: Analysis;
  signature?: string;
}

/** Analyses image bytes off the caller's event loop. */
export interface ImageAnalyzer {
  analyze(bytes: Buffer, options: AnalyzeOptions): Promise<AnalyzedImage>;
  close(): Promise<void>;
}

/**
 * The analyser the worker and the API use: the worker-thread pool, so OpenCV never blocks the
 * event loop (BullMQ lock renewal and HTTP keep running). Every image also gets its lineage
 * signature, stored base64 beside the analysis for the `cluster` queue.
 */
export function threadedAnalyzer(threads: number): ImageAnalyzer {
  const pool = new AnalysisPool({ threads });
  return {
    analyze: async (bytes, options) => {
      const { analysis, signature } = await pool.analyzeWithSignature(bytes, options);
      return { analysis, signature: Buffer.from(signature).toString('base64') };
    },
    close: () => pool.close(),
  };
}
