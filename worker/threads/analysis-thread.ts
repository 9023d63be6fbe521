import { parentPort } from 'node:worker_threads';
import { analyzeImage, type AnalyzeOptions } from '../analysis/analyze-image.ts';
import { describeError } from '../errors.ts';

/** One analysis request from the pool; `input` is a path or the image's bytes. */
export interface AnalysisRequest {
  id: number;
  input: string | Uint8Array;
  options: AnalyzeOptions;
}

export type AnalysisReply =
  | { id: number; result: Awaited<ReturnType<typeof analyzeImage>> }
  | { id: number; error: ReturnType<typeof describeError> };

parentPort?.on('message', (request: AnalysisRequest) => {
  const input = typeof request.input === 'string' ? request.input : Buffer.from(request.input);
  analyzeImage(input, request.options).then(
    (result) => parentPort?.postMessage({ id: request.id, result } satisfies AnalysisReply),
    (e: unknown) => parentPort?.postMessage({ id: request.id, error: describeError(e) } satisfies AnalysisReply),
  );
});
