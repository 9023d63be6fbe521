import * as ort from 'onnxruntime-node';
import { ArtmetaError } from '../errors.ts';
import { nativeCall } from './native-call-gate.ts';

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  // Converted models carry unused initialisers; ONNX Runtime warns about each on every load.
  logSeverityLevel: 3,
};

/** Every network of this process (or worker thread), so that a thread can free them all as it stops. */
const sessions = new Set<NetworkSession>();

/**
 * One ONNX Runtime session per network per process (or worker thread), loaded on first use. One
 * intra-op thread: artmeta runs one analysis per core on worker threads, and a network that spread
 * over every core would fight them.
 */
export class NetworkSession {
  private session: Promise<ort.InferenceSession> | undefined;

  constructor(
    private readonly file: string,
    private readonly name: string,
  ) {
    sessions.add(this);
  }

  load(): Promise<ort.InferenceSession> {
    this.session ??= nativeCall(() => ort.InferenceSession.create(this.file, SESSION_OPTIONS)).catch((e: unknown) => {
      this.session = undefined;
      throw new ArtmetaError('INTERNAL', `cannot load the ${this.name} ${this.file}: ${e instanceof Error ? e.message : String(e)}`);
    });
    return this.session;
  }

  /** Runs the network once (loading it first if need be). */
  async run(feeds: ort.InferenceSession.FeedsType): Promise<ort.InferenceSession.ReturnType> {
    const session = await this.load();
    return nativeCall(() => session.run(feeds));
  }

  /** Frees the session (the next load creates it again). */
  async release(): Promise<void> {
    const current = this.session;
    this.session = undefined;
    if (current) {
      const session = await current;
      await nativeCall(() => session.release());
    }
  }
}

/**
 * Frees this thread's network sessions (native memory ONNX Runtime holds outside the JS heap); a later
 * load creates them again. An analysis thread calls it as it stops (service/threads/analysis-thread.ts).
 */
export async function releaseNetworkSessions(): Promise<void> {
  await Promise.all([...sessions].map((s) => s.release()));
}
