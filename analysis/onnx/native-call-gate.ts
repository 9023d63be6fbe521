import { ArtmetaError } from '../errors.ts';

/**
 * ONNX Runtime's Node binding aborts the whole process (std::terminate on a Napi::Error) when a
 * worker thread is terminated while one of its calls is under way: its completion then runs in a
 * stopped environment. Reproduced with onnxruntime-node 1.30.0, a thread running the text network in
 * a loop and terminated at a random moment: the process died within a few tries (sharp's calls
 * survived 40). So a thread's owner that may terminate it shares these flags with it, and terminates
 * only between calls (service/threads/analysis-pool.ts).
 */
export class NativeCallFlags {
  /** Calls under way in the thread. */
  private static readonly IN_CALL = 0;
  /** Set by the owner before it terminates the thread: no call may start after it. */
  private static readonly STOPPING = 1;
  readonly buffer: SharedArrayBuffer;
  private readonly flags: Int32Array;

  constructor(buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)) {
    this.buffer = buffer;
    this.flags = new Int32Array(buffer);
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

  /** The owner's side: no call starts from now on; resolves once none is under way. */
  async stopCalls(pollMs = 2): Promise<void> {
    Atomics.store(this.flags, NativeCallFlags.STOPPING, 1);
    while (Atomics.load(this.flags, NativeCallFlags.IN_CALL) > 0) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** This thread's flags, when its owner shared them (analysis threads); none elsewhere. */
let threadFlags: NativeCallFlags | undefined;

/** Called once at a thread's start with the buffer its owner passed. */
export function shareNativeCallFlags(buffer: SharedArrayBuffer): void {
  threadFlags = new NativeCallFlags(buffer);
}

/** Runs an ONNX Runtime call, through this thread's flags when its owner shared them. */
export function nativeCall<T>(native: () => Promise<T>): Promise<T> {
  return threadFlags ? threadFlags.call(native) : native();
}
