import { createRequire } from 'node:module';
import type * as OpenCV from '@techstark/opencv-js';
import { ArtmetaError } from '../errors.ts';

export type CV = typeof OpenCV;

type CvModule = CV & {
  onRuntimeInitialized?: () => void;
  HEAP8: Int8Array;
  exceptionFromPtr?: (ptr: number) => { msg: string };
};

let instance: CvModule | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the OpenCV WASM runtime once per process (or worker thread).
 *
 * The module object is a thenable: awaiting it or resolving a promise with it never settles, so this
 * promise resolves with nothing and the module is read through `cv()`. A static import hangs under
 * vitest, so the module is loaded with `createRequire`. On load it installs process-wide
 * `uncaughtException` and `unhandledRejection` (abort!) handlers; those are removed so that a failed
 * image never takes the process down with it.
 */
export function loadOpenCV(): Promise<void> {
  if (instance) return Promise.resolve();
  loading ??= new Promise<void>((resolve) => {
    const exceptionListeners = new Set(process.listeners('uncaughtException'));
    const rejectionListeners = new Set(process.listeners('unhandledRejection'));
    const mod = createRequire(import.meta.url)('@techstark/opencv-js') as CvModule;
    for (const listener of process.listeners('uncaughtException')) {
      if (!exceptionListeners.has(listener)) process.removeListener('uncaughtException', listener);
    }
    for (const listener of process.listeners('unhandledRejection')) {
      if (!rejectionListeners.has(listener)) process.removeListener('unhandledRejection', listener);
    }
    mod.onRuntimeInitialized = () => {
      instance = mod;
      resolve();
    };
  });
  return loading;
}

/** The loaded OpenCV module; `loadOpenCV()` must have resolved first. */
export function cv(): CV {
  if (!instance) throw new ArtmetaError('INTERNAL', 'OpenCV is not loaded: await loadOpenCV() first');
  return instance;
}

/** Bytes of WASM linear memory OpenCV holds. It only grows, so a leak shows as growth. */
export function wasmHeapBytes(): number {
  return instance ? instance.HEAP8.length : 0;
}

/** OpenCV throws bare numbers (pointers to C++ exceptions); turn them into readable errors. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'number' && instance?.exceptionFromPtr) {
    const message = instance.exceptionFromPtr(thrown).msg.trim();
    return new ArtmetaError('INTERNAL', `OpenCV: ${message}`);
  }
  return new ArtmetaError('INTERNAL', `OpenCV: ${String(thrown)}`);
}
