import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../../analysis/errors.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import type { VerifiedAhead } from '../../analysis/lineage/parallel-clustering.ts';
import { readSignature, type ArenaPlace } from '../../analysis/lineage/signature-arena.ts';
import { similarity } from '../../analysis/lineage/similarity-index.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';

/** One planned pair's other side: kept in the shared arena, or sent along (not kept yet). */
export type PlannedPair = { slot: number; place: ArenaPlace } | { slot: number; signature: ImageSignature };

export type VerificationMessage =
  | { kind: 'chunk'; index: number; chunk: SharedArrayBuffer }
  | { kind: 'verify'; id: number; signature: ImageSignature; plan: PlannedPair[][] };

export type VerificationReply = { id: number; verified: VerifiedAhead[]; ms: number } | { id: number; error: ReturnType<typeof describeError> };

export interface VerificationThreadData {
  threshold: number;
}

const { threshold } = workerData as VerificationThreadData;
const chunks: SharedArrayBuffer[] = [];
const ready = loadOpenCV();

parentPort?.on('message', (message: VerificationMessage) => {
  if (message.kind === 'chunk') chunks[message.index] = message.chunk;
  else void ready.then(() => parentPort?.postMessage(verify(message)));
});

function verify({ id, signature, plan }: Extract<VerificationMessage, { kind: 'verify' }>): VerificationReply {
  const started = performance.now();
  const verified: VerifiedAhead[] = [];
  try {
    for (const group of plan) {
      for (const pair of group) {
        const other = 'place' in pair ? readSignature(chunks[pair.place.chunk]!, pair.place.offset) : pair.signature;
        const { index, homography } = similarity(signature, other);
        verified.push({ slot: pair.slot, index, ...(homography ? { homography } : {}) });
        if (index >= threshold && homography) return { id, verified, ms: performance.now() - started };
      }
    }
    return { id, verified, ms: performance.now() - started };
  } catch (e) {
    return { id, error: describeError(e) };
  }
}
