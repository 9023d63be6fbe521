import { parentPort, workerData } from 'node:worker_threads';
import type { Analysis } from '../../analysis/analysis-schema.ts';
import { analyzeImage, type AnalyzeOptions } from '../../analysis/analyze-image.ts';
import { analyzeWithSignature } from '../../analysis/analyze-with-signature.ts';
import { describeError } from '../../analysis/errors.ts';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { lineageSignature } from '../../analysis/lineage/lineage-signature.ts';
import { encodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { shareNativeCallFlags } from '../../analysis/onnx/native-call-gate.ts';
import { releaseNetworkSessions } from '../../analysis/onnx/network-session.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';

/** What a thread is asked for one image (`input`: a path or the bytes). */
export type AnalysisTask =
  /** The analysis, and with `signature` also the lineage signature of the same decoded pixels. */
  | { kind: 'analyze'; input: string | Uint8Array; options: AnalyzeOptions; signature: boolean }
  /** The lineage signature alone (`artmeta cluster`). */
  | { kind: 'signature'; input: string | Uint8Array };

export type AnalysisRequest = AnalysisTask & { id: number };

/** Sent by AnalysisPool.close: finish the task in hand, free the network sessions, exit. */
export interface AnalysisThreadStop {
  kind: 'stop';
}

export type AnalysisReply =
  | { id: number; analysis?: Analysis; signature?: Uint8Array }
  | { id: number; error: ReturnType<typeof describeError> };

/** What the pool gives a thread as it starts. */
export interface AnalysisThreadData {
  /** The pool terminates the thread only between ONNX Runtime calls (analysis/onnx/native-call-gate.ts). */
  nativeCalls: SharedArrayBuffer;
}

shareNativeCallFlags((workerData as AnalysisThreadData).nativeCalls);

/** The task in hand: the pool sends a thread one at a time, and a stop waits for it. */
let inHand: Promise<void> = Promise.resolve();

parentPort?.on('message', (message: AnalysisRequest | AnalysisThreadStop) => {
  if (message.kind === 'stop') {
    void inHand.then(releaseNetworkSessions).finally(() => process.exit(0));
    return;
  }
  inHand = answer(message).then((reply) => parentPort?.postMessage(reply));
});

async function answer(request: AnalysisRequest): Promise<AnalysisReply> {
  const input = typeof request.input === 'string' ? request.input : Buffer.from(request.input);
  try {
    if (request.kind === 'signature') {
      const [decoded] = await Promise.all([decodeImage(input), loadOpenCV()]);
      return { id: request.id, signature: encodeSignature(await lineageSignature(decoded.pixels)) };
    }
    if (!request.signature) return { id: request.id, analysis: await analyzeImage(input, request.options) };
    return { id: request.id, ...(await analyzeWithSignature(input, request.options)) };
  } catch (e) {
    return { id: request.id, error: describeError(e) };
  }
}
