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
  /** The join threshold (a thread stops an image's plan at the first pair reaching it). Default: the model's. */
  threshold?: number;
}

interface Thread {
  worker: Worker;
  tasks: Map<number, { resolve: (verified: VerifiedAhead[]) => void; reject: (error: ArtmetaError) => void }>;
}

const THREAD_URL = new URL('./verification-thread-entry.mjs', import.meta.url);

/**
 * The parallel clustering's verifier: threads that verify pairs with the model's similarity, reading
 * the kept representatives' signatures from SharedArrayBuffers (one copy for all threads and the main
 * thread) and receiving only the new image's signature with each task. A task goes to the thread with
 * the fewest waiting.
 */
export class VerificationPool implements AheadVerifier {
  /** Pairs verified on the threads and the milliseconds they took there (for throughput figures). */
  verifiedPairs = 0;
  verifyMs = 0;
  private readonly threads: Thread[] = [];
  private readonly arena: SignatureArena;
  private readonly places = new Map<number, ArenaPlace>();
  private nextId = 1;

  constructor(options: VerificationPoolOptions = {}) {
    const workerData: VerificationThreadData = { threshold: options.threshold ?? defaultModel().threshold };
    const count = Math.max(1, options.threads ?? availableParallelism());
    for (let i = 0; i < count; i++) this.threads.push(this.spawn(workerData));
    this.arena = new SignatureArena((index, chunk) => {
      for (const thread of this.threads) thread.worker.postMessage({ kind: 'chunk', index, chunk } satisfies VerificationMessage);
    });
  }

  keep(slot: number, signature: ImageSignature): ImageSignature {
    const written = this.arena.write(signature);
    this.places.set(slot, written.place);
    return written.signature;
  }

  verify(signature: ImageSignature, plan: number[][], pending: (slot: number) => ImageSignature): Promise<VerifiedAhead[]> {
    if (plan.length === 0) return Promise.resolve([]);
    const pairs: PlannedPair[][] = plan.map((group) =>
      group.map((slot) => {
        const place = this.places.get(slot);
        return place ? { slot, place } : { slot, signature: pending(slot) };
      }),
    );
    if (this.threads.length === 0) return Promise.reject(new ArtmetaError('INTERNAL', 'no verification thread is running'));
    const thread = this.threads.reduce((best, t) => (t.tasks.size < best.tasks.size ? t : best));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.tasks.set(id, { resolve, reject });
      thread.worker.postMessage({ kind: 'verify', id, signature, plan: pairs } satisfies VerificationMessage);
    });
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
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
