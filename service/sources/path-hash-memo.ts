import { LRUCache } from 'lru-cache';
import type { FileVersion } from './path-source.ts';

/**
 * Bytes of memo keys and hashes kept (about 200 each: a path, five numbers, a hex SHA-256), so about
 * 20,000 files: ten times the images the default render caches can hold (about 2,000 pictures),
 * whose hits are the requests that need the hash alone. A forgotten file costs one read and hash.
 */
const MEMO_BYTES = 4 * 1024 * 1024;

/**
 * A file changed less than this long ago is not remembered: file times come from a clock that moves
 * in ticks (a jiffy, 1-10 ms on Linux; the server's on a network file system), so a rewrite of the
 * same size within the tick of the version just read would keep every field of its version. A
 * second is a hundred ticks; such a file is read and hashed on each request until it is that old.
 */
export const SETTLE_MS = 1_000;

/**
 * The content hashes of `path` sources by file version (see FileVersion), so that a request that
 * needs only the hash (a render whose picture is cached) reads nothing: a changed file has another
 * version and is read and hashed again.
 */
export class PathHashMemo {
  private readonly hashes = new LRUCache<string, string>({ maxSize: MEMO_BYTES, sizeCalculation: (hash, key) => key.length + hash.length });

  get(version: FileVersion): string | undefined {
    return this.hashes.get(version.key);
  }

  /** Remembers the hash of the bytes read from a version, once the version has settled (see SETTLE_MS). */
  remember(version: FileVersion, hash: string): void {
    if (Date.now() - version.changedMs >= SETTLE_MS) this.hashes.set(version.key, hash);
  }

  get size(): number {
    return this.hashes.size;
  }
}
