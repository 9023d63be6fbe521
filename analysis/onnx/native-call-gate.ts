import { ArtmetaError } from '../errors.ts';

/**
 * ONNX Runtime's Node binding aborts the whole process (std::terminate on a Napi::Error) when a
 * worker thread is terminated while one of its calls is under way (its completion then runs in a
 * stopped environment), or while the thread is still loading the binding. Reproduced with
 * onnxruntime-node 1.30.0: a thread running the text network in a loop, or only requiring the
 * package, terminated at a random moment: the process died within a few tries (sharp, the same ways,
 * survived 40 and 60). So a thread's owner that may terminate it shares these flags with it, and
 * terminates it only once it has loaded and between calls (service/threads/analysis-pool.ts).
 */
export class NativeCallFlags {
  /** Calls under way in the thread, plus one until the thread has loaded its native modules. */
  private static readonly IN_CALL = 0;
  /** Set by the owner before it terminates the thread: no call may start after it. */
  private static readonly STOPPING = 1;
  readonly buffer: SharedArrayBuffer;
  private readonly flags: Int32Array;

  /** The owner's flags for a thread about to start: it counts as in a call until it has loaded. */
  static forNewThread(): NativeCallFlags {
    const flags = new NativeCallFlags(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    Atomics.store(flags.flags, NativeCallFlags.IN_CALL, 1);
    return flags;
  }

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.flags = new Int32Array(buffer);
  }

  /** The thread's side, once its modules (ONNX Runtime's binding among them) are loaded. */
  loaded(): void {
    Atomics.sub(this.flags, NativeCallFlags.IN_CALL, 1);
  }

  /**
   * Runs a native call unless the owner is stopping the thread. The count is raised before the stop
   * flag is read, and the owner sets the flag before it reads the count (both sequentially consistent),
   * so either the call sees the flag and does not start, or the owner sees the call and waits for it.
   */
  async call<T>(native: () => Promise<T>): Promise<T> {
    Atomics.add(this.flags, NativeCallFlags.IN_CALL, 1);
    try {
      if (Atomics.load(this.flags, NativeCallFlags.STOPPING) === 1) throw new ArtmetaError('INTERNAL', 'the analysis thread is stopping');
      return await native();
    } finally {
      Atomics.sub(this.flags, NativeCallFlags.IN_CALL, 1);
    }
  }

  /**
   * The owner's side: no call starts from now on; resolves once none is under way, or once the
   * thread is gone (it may die while loading, with the count never lowered).
   */
  async stopCalls(threadGone: () => boolean, pollMs = 2): Promise<void> {
    Atomics.store(this.flags, NativeCallFlags.STOPPING, 1);
    while (this.underWay() && !threadGone()) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }

  /** The owner's view: a call is under way in the thread, or the thread has not loaded yet. */
  underWay(): boolean {
    return Atomics.load(this.flags, NativeCallFlags.IN_CALL) > 0;
  }
}

/** This thread's flags, when its owner shared them (analysis threads); none elsewhere. */
let threadFlags: NativeCallFlags | undefined;

/** Called once by a thread, after its imports, with the buffer its owner passed: it has loaded. */
export function shareNativeCallFlags(buffer: SharedArrayBuffer): void {
  threadFlags = new NativeCallFlags(buffer);
  threadFlags.loaded();
}

/** Runs an ONNX Runtime call, through this thread's flags when its owner shared them. */
export function nativeCall<T>(native: () => Promise<T>): Promise<T> {
  return threadFlags ? threadFlags.call(native) : native();
}
