import { toError } from './runtime.ts';

/** Anything backed by WASM memory that must be freed by hand: Mats, MatVectors, KeyPointVectors… */
export interface Deletable {
  delete(): void;
  isDeleted(): boolean;
}

let live = 0;

/** Objects allocated in scopes and not yet freed; zero between analyses, or something leaks. */
export function liveScopedObjects(): number {
  return live;
}

/**
 * Owns the OpenCV objects made during one piece of work and frees them all at once.
 * Use through `withMats`, so they are freed even when the work throws.
 */
export class MatScope {
  private readonly owned: Deletable[] = [];

  /** Registers `obj` for release at the end of the scope and returns it. */
  track<T extends Deletable>(obj: T): T {
    this.owned.push(obj);
    live++;
    return obj;
  }

  release(): void {
    for (let i = this.owned.length - 1; i >= 0; i--) {
      const obj = this.owned[i]!;
      if (!obj.isDeleted()) obj.delete();
      live--;
    }
    this.owned.length = 0;
  }
}

/** Runs `work` with a fresh scope; every tracked object is freed when it returns or throws. */
export function withMats<T>(work: (scope: MatScope) => T): T {
  const scope = new MatScope();
  try {
    return work(scope);
  } catch (thrown) {
    throw toError(thrown);
  } finally {
    scope.release();
  }
}
