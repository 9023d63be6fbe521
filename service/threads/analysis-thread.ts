import { parentPort } from 'node:worker_threads';
import type { Analysis } from '../../analysis/analysis-schema.ts';
import { decodeAndAnalyze, type AnalyzeOptions } from '../../analysis/analyze-image.ts';
import { describeError } from '../../analysis/errors.ts';
import { scaleBox } from '../../analysis/geometry/box.ts';
import type { DecodedImage } from '../../analysis/image/decode-image.ts';
import { computeSignature } from '../../analysis/lineage/image-signature.ts';
import { encodeSignature } from '../../analysis/lineage/signature-codec.ts';

/** One analysis request from the pool; `input` is a path or the image's bytes. */
export interface AnalysisRequest {
  id: number;
  input: string | Uint8Array;
  options: AnalyzeOptions;
  /** Also compute the encoded lineage signature (text regions excluded from its features). */
  signature?: boolean;
}

export type AnalysisReply =
  | { id: number; result: Analysis; signature?: Uint8Array }
  | { id: number; error: ReturnType<typeof describeError> };

parentPort?.on('message', (request: AnalysisRequest) => {
  void answer(request).then((reply) => parentPort?.postMessage(reply));
});

async function answer(request: AnalysisRequest): Promise<AnalysisReply> {
  const input = typeof request.input === 'string' ? request.input : Buffer.from(request.input);
  try {
    const { analysis, decoded } = await decodeAndAnalyze(input, request.options);
    const signature = request.signature ? signatureOf(decoded, analysis) : undefined;
    return { id: request.id, result: analysis, ...(signature ? { signature } : {}) };
  } catch (e) {
    return { id: request.id, error: describeError(e) };
  }
}

/** The lineage signature of the analysed pixels, with the text the analysis found left out. */
function signatureOf(decoded: DecodedImage, analysis: Analysis): Uint8Array {
  const textRegions = (analysis.text?.regions ?? []).map((r) => scaleBox(r, 1 / decoded.scale));
  return encodeSignature(computeSignature(decoded.pixels, { textRegions }));
}
