import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Analysis } from '../../analysis/analysis-schema.ts';
import type { AnalyzeOptions } from '../../analysis/analyze-image.ts';
import { ArtmetaError, type ErrorCode } from '../../analysis/errors.ts';
import { NativeCallFlags } from '../../analysis/onnx/native-call-gate.ts';
import type { AnalysisReply, AnalysisRequest, AnalysisTask, AnalysisThreadData, AnalysisThreadStop } from './analysis-thread.ts';

export interface AnalysisPoolOptions {
  /** Worker threads, each with its own OpenCV runtime (~150 MB). Default: one per core. */
  threads?: number;
  /** How long `close` lets a thread finish its task in hand before terminating it, in ms. Default: THREAD_STOP_GRACE_MS. */
  stopGraceMs?: number;
}

interface Task {
  request: AnalysisRequest;
  resolve: (reply: { analysis?: Analysis; signature?: Uint8Array }) => void;
  reject: (error: ArtmetaError) => void;
}

interface Slot {
  worker: Worker;
  /** Shared with the thread: it is terminated only between its ONNX Runtime calls (native-call-gate.ts). */
  nativeCalls: NativeCallFlags;
  /** Settles once the thread has exited, however it ended. */
  exited: Promise<void>;
  gone: boolean;
  task?: Task;
}

const THREAD_URL = new URL('./analysis-thread-entry.mjs', import.meta.url);

/**
 * How long `close` lets a thread finish its task and free its sessions before terminating it (after
 * the ONNX Runtime call under way, if any). An analysis takes 0.1-0.5 s on this machine; a worker must
 * exit within 10 s of SIGTERM, with its queue connections still to close after this.
 */
const THREAD_STOP_GRACE_MS = 3_000;

/** The pools of this process not yet closed, for an exit that cannot wait for `close` (endAnalysisThreads). */
const openPools = new Set<AnalysisPool>();

/**
 * Ends every analysis thread of this process now, each once it is between ONNX Runtime calls and
 * has loaded, and resolves when all are gone. For a process that exits without waiting for its work:
 * `process.exit` ends threads as `terminate` does, and onnxruntime-node aborts the whole process
 * (exit 134, "terminate called after throwing an instance of 'Napi::Error'") when one is ended
 * inside a call. Waiting tasks are refused and a task in hand fails (its next call does not start).
 */
export async function endAnalysisThreads(): Promise<void> {
  await Promise.all([...openPools].map((pool) => pool.close(0)));
}

/**
 * Runs analyses on worker threads so that CPU-bound OpenCV work uses every core and never blocks
 * the caller's event loop. A thread that dies fails only its own task and is replaced.
 */
export class AnalysisPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Task[] = [];
  private readonly stopGraceMs: number;
  private nextId = 1;
  private closed = false;

  constructor(options: AnalysisPoolOptions = {}) {
    this.stopGraceMs = options.stopGraceMs ?? THREAD_STOP_GRACE_MS;
    const threads = Math.max(1, options.threads ?? availableParallelism());
    for (let i = 0; i < threads; i++) this.slots.push(this.spawn());
    openPools.add(this);
  }

  get size(): number {
    return this.slots.length;
  }

  async analyze(input: string | Buffer, options: AnalyzeOptions = {}): Promise<Analysis> {
    const { analysis } = await this.run({ kind: 'analyze', input, options, signature: false });
    if (!analysis) throw new ArtmetaError('INTERNAL', 'analysis thread returned no analysis');
    return analysis;
  }

  /** The analysis and the encoded lineage signature (analysis/lineage/signature-codec.ts) of one image. */
  async analyzeWithSignature(input: string | Buffer, options: AnalyzeOptions = {}): Promise<{ analysis: Analysis; signature: Uint8Array }> {
    const { analysis, signature } = await this.run({ kind: 'analyze', input, options, signature: true });
    if (!analysis || !signature) throw new ArtmetaError('INTERNAL', 'analysis thread returned no analysis or no signature');
    return { analysis, signature };
  }

  /** The encoded lineage signature of one image, without the rest of the analysis. */
  async signature(input: string | Buffer): Promise<Uint8Array> {
    const { signature } = await this.run({ kind: 'signature', input });
    if (!signature) throw new ArtmetaError('INTERNAL', 'analysis thread returned no signature');
    return signature;
  }

  private run(task: AnalysisTask): Promise<{ analysis?: Analysis; signature?: Uint8Array }> {
    if (this.closed) return Promise.reject(new ArtmetaError('INTERNAL', 'analysis pool is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ request: { ...task, id: this.nextId++ }, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Rejects the tasks still waiting; each thread answers its task in hand, frees its network
   * sessions and exits (terminated after `graceMs`, by default THREAD_STOP_GRACE_MS). Called again
   * while closing (endAnalysisThreads), a shorter grace applies too.
   */
  async close(graceMs = this.stopGraceMs): Promise<void> {
    this.closed = true;
    for (const task of this.waiting.splice(0)) task.reject(new ArtmetaError('INTERNAL', 'analysis pool closed'));
    await Promise.all(this.slots.map((slot) => this.stop(slot, graceMs)));
    openPools.delete(this);
  }

  private async stop(slot: Slot, graceMs: number): Promise<void> {
    if (slot.gone) return;
    slot.worker.postMessage({ kind: 'stop' } satisfies AnalysisThreadStop);
    const deadline = setTimeout(() => void slot.nativeCalls.stopCalls(() => slot.gone).then(() => slot.worker.terminate()), graceMs);
    await slot.exited;
    clearTimeout(deadline);
  }

  private spawn(): Slot {
    const nativeCalls = NativeCallFlags.forNewThread();
    const worker = new Worker(THREAD_URL, { workerData: { nativeCalls: nativeCalls.buffer } satisfies AnalysisThreadData });
    const slot: Slot = { worker, nativeCalls, gone: false, exited: new Promise((resolve) => worker.once('exit', () => resolve())) };
    void slot.exited.then(() => (slot.gone = true));
    worker.on('message', (reply: AnalysisReply) => this.settle(slot, reply));
    worker.on('error', (e) => this.replace(slot, e));
    worker.on('exit', (code) => this.replace(slot, new Error(`analysis thread exited with code ${code}`)));
    return slot;
  }

  private settle(slot: Slot, reply: AnalysisReply): void {
    const task = slot.task;
    slot.task = undefined;
    if (task) {
      if ('error' in reply) task.reject(new ArtmetaError(reply.error.code as ErrorCode, reply.error.message));
      else task.resolve(reply);
    }
    this.dispatch();
  }

  private replace(slot: Slot, cause: Error): void {
    if (this.closed) {
      slot.task?.reject(new ArtmetaError('INTERNAL', `analysis pool closed before the answer: ${cause.message}`));
      slot.task = undefined;
      return;
    }
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    slot.worker.removeAllListeners();
    slot.task?.reject(new ArtmetaError('INTERNAL', `analysis thread failed: ${cause.message}`));
    this.slots[index] = this.spawn();
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.task) continue;
      const task = this.waiting.shift();
      if (!task) return;
      slot.task = task;
      slot.worker.postMessage(task.request);
    }
  }
}
