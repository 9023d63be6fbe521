import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../../analysis/errors.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { joinSettles } from '../../analysis/lineage/lineage-join.ts';
import type { VerifiedAhead } from '../../analysis/lineage/parallel-clustering.ts';
import { readSignature, type ArenaPlace } from '../../analysis/lineage/signature-arena.ts';
import { similarity } from '../../analysis/lineage/similarity-index.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';

/** One planned pair's other side: kept in the shared arena, or sent along (not kept yet). */
export type PlannedPair = { slot: number; arena: number; place: ArenaPlace } | { slot: number; signature: ImageSignature };

export type VerificationMessage =
  | { kind: 'chunk'; arena: number; index: number; chunk: SharedArrayBuffer }
  | { kind: 'release'; arena: number }
  | { kind: 'verify'; id: number; signature: ImageSignature; plan: PlannedPair[][] };

export type VerificationReply = { id: number; verified: VerifiedAhead[]; ms: number } | { id: number; error: ReturnType<typeof describeError> };

export interface VerificationThreadData {
  threshold: number;
}

const { threshold } = workerData as VerificationThreadData;
/** Each clustering session's arena chunks. */
const arenas = new Map<number, SharedArrayBuffer[]>();
const ready = loadOpenCV();

parentPort?.on('message', (message: VerificationMessage) => {
  if (message.kind === 'chunk') {
    if (!arenas.has(message.arena)) arenas.set(message.arena, []);
    arenas.get(message.arena)![message.index] = message.chunk;
  } else if (message.kind === 'release') arenas.delete(message.arena);
  else void ready.then(() => parentPort?.postMessage(verify(message)));
});

function verify({ id, signature, plan }: Extract<VerificationMessage, { kind: 'verify' }>): VerificationReply {
  const started = performance.now();
  const verified: VerifiedAhead[] = [];
  try {
    // A group is one candidate lineage: a pair that passes likely decides it, and ends the plan only when
    // the join is sure (bestJoin verifies the other lineages otherwise).
    for (const group of plan) {
      for (const pair of group) {
        const other = 'place' in pair ? readSignature(arenas.get(pair.arena)![pair.place.chunk]!, pair.place.offset) : pair.signature;
        const { index, homography } = similarity(signature, other);
        verified.push({ slot: pair.slot, index, ...(homography ? { homography } : {}) });
        if (index < threshold || !homography) continue;
        if (joinSettles(index)) return { id, verified, ms: performance.now() - started };
        break;
      }
    }
    return { id, verified, ms: performance.now() - started };
  } catch (e) {
    return { id, error: describeError(e) };
  }
}
