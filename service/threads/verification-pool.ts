import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ArtmetaError, type ErrorCode } from '../../analysis/errors.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import type { AheadVerifier, VerifiedAhead } from '../../analysis/lineage/parallel-clustering.ts';
import { SignatureArena, type ArenaPlace } from '../../analysis/lineage/signature-arena.ts';
import { defaultModel } from '../../analysis/lineage/similarity-index.ts';
import type { PlannedPair, VerificationMessage, VerificationReply, VerificationThreadData } from './verification-thread.ts';

export interface VerificationPoolOptions {
  /** Threads verifying pairs, each with its own OpenCV runtime (~100 MB). Default: one per core. */
  threads?: number;
  /** The join threshold (a thread stops verifying a planned lineage at the first pair reaching it). Default: the model's. */
  threshold?: number;
}

interface Thread {
  worker: Worker;
  tasks: Map<number, { resolve: (verified: VerifiedAhead[]) => void; reject: (error: ArtmetaError) => void }>;
}

const THREAD_URL = new URL('./verification-thread-entry.mjs', import.meta.url);

/**
 * Threads that verify the parallel clustering's pairs with the model's similarity. Each clustering
 * verifies through a session of its own (`session()`): its kept signatures, by slot, in an arena of
 * SharedArrayBuffers that the threads and the main thread share. A task goes to the thread with the
 * fewest waiting and carries only the new image's signature (and those of planned slots not kept yet).
 */
export class VerificationPool {
  /** Pairs verified on the threads and the milliseconds they took there (for throughput figures). */
  verifiedPairs = 0;
  verifyMs = 0;
  private readonly threads: Thread[] = [];
  private nextId = 1;
  private nextArena = 1;

  constructor(options: VerificationPoolOptions = {}) {
    const workerData: VerificationThreadData = { threshold: options.threshold ?? defaultModel().threshold };
    const count = Math.max(1, options.threads ?? availableParallelism());
    for (let i = 0; i < count; i++) this.threads.push(this.spawn(workerData));
  }

  /** A verifier for one clustering; `close` it when the clustering is done, so the threads let its arena go. */
  session(): AheadVerifier & { close(): void } {
    const arenaId = this.nextArena++;
    const arena = new SignatureArena((index, chunk) => this.broadcast({ kind: 'chunk', arena: arenaId, index, chunk }));
    const places = new Map<number, ArenaPlace>();
    return {
      keep: (slot, signature) => {
        const written = arena.write(signature);
        places.set(slot, written.place);
        return written.signature;
      },
      verify: (signature, plan, pending) => {
        const pairs: PlannedPair[][] = plan.map((group) =>
          group.map((slot) => {
            const place = places.get(slot);
            return place ? { slot, arena: arenaId, place } : { slot, signature: pending(slot) };
          }),
        );
        return this.run(signature, pairs);
      },
      close: () => this.broadcast({ kind: 'release', arena: arenaId }),
    };
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private run(signature: ImageSignature, plan: PlannedPair[][]): Promise<VerifiedAhead[]> {
    if (plan.length === 0) return Promise.resolve([]);
    if (this.threads.length === 0) return Promise.reject(new ArtmetaError('INTERNAL', 'no verification thread is running'));
    const thread = this.threads.reduce((best, t) => (t.tasks.size < best.tasks.size ? t : best));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.tasks.set(id, { resolve, reject });
      thread.worker.postMessage({ kind: 'verify', id, signature, plan } satisfies VerificationMessage);
    });
  }

  private broadcast(message: VerificationMessage): void {
    for (const thread of this.threads) thread.worker.postMessage(message);
  }

  private spawn(workerData: VerificationThreadData): Thread {
    const thread: Thread = { worker: new Worker(THREAD_URL, { workerData }), tasks: new Map() };
    thread.worker.on('message', (reply: VerificationReply) => {
      const task = thread.tasks.get(reply.id);
      thread.tasks.delete(reply.id);
      if ('error' in reply) task?.reject(new ArtmetaError(reply.error.code as ErrorCode, reply.error.message));
      else {
        this.verifiedPairs += reply.verified.length;
        this.verifyMs += reply.ms;
        task?.resolve(reply.verified);
      }
    });
    // A thread that fails takes its waiting tasks with it (their clustering fails) and is not replaced.
    const fail = (cause: string) => {
      const k = this.threads.indexOf(thread);
      if (k >= 0) this.threads.splice(k, 1);
      for (const task of thread.tasks.values()) task.reject(new ArtmetaError('INTERNAL', `verification thread failed: ${cause}`));
      thread.tasks.clear();
    };
    thread.worker.on('error', (e) => fail(e.message));
    thread.worker.on('exit', (code) => fail(`exited with code ${code}`));
    return thread;
  }
}
