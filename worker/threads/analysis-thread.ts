import { parentPort } from 'node:worker_threads';
import type { Analysis } from '../analysis/analysis-schema.ts';
import { analyzeImage, type AnalyzeOptions } from '../analysis/analyze-image.ts';
import { describeError } from '../errors.ts';
import { scaleBox } from '../geometry/box.ts';
import { decodeImage } from '../image/decode-image.ts';
import { computeSignature } from '../lineage/image-signature.ts';
import { encodeSignature } from '../lineage/signature-codec.ts';

/** One analysis request from the pool; `input` is a path or the image's bytes. */
export interface AnalysisRequest {
  id: number;
  input: string | Uint8Array;
  options: AnalyzeOptions;
  /** Also compute the encoded lineage signature (text regions excluded from its features). */
  signature?: boolean;
}

export type AnalysisReply =
  | { id: number; result: Awaited<ReturnType<typeof analyzeImage>>; signature?: Uint8Array }
  | { id: number; error: ReturnType<typeof describeError> };

parentPort?.on('message', (request: AnalysisRequest) => {
  const input = typeof request.input === 'string' ? request.input : Buffer.from(request.input);
  analyzeImage(input, request.options).then(
    async (result) => {
      const signature = request.signature ? await signatureOf(input, request.options, result) : undefined;
      parentPort?.postMessage({ id: request.id, result, ...(signature ? { signature } : {}) } satisfies AnalysisReply);
    },
    (e: unknown) => parentPort?.postMessage({ id: request.id, error: describeError(e) } satisfies AnalysisReply),
  );
});

/**
 * The signature needs the working pixels, which analyzeImage does not hand out, so the image is
 * decoded a second time (a small cost beside the analysis).
 */
async function signatureOf(input: string | Buffer, options: AnalyzeOptions, analysis: Analysis): Promise<Uint8Array> {
  const decoded = await decodeImage(input, options);
  const textRegions = (analysis.text?.regions ?? []).map((r) => scaleBox(r, 1 / decoded.scale));
  return encodeSignature(computeSignature(decoded.pixels, { textRegions }));
}
