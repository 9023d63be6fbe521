import { LRUCache } from 'lru-cache';

/** Where a value came from: the cache, another request's making of it, or made now for this one. */
export type CacheOutcome = 'hit' | 'shared' | 'made';

/**
 * A least-recently-used cache bounded by the bytes of what it holds (lru-cache's `maxSize`), and
 * made once per key at a time: requests that miss the same key together wait for one making of it
 * instead of each decoding and encoding the same picture. A bound of 0 keeps nothing (every request
 * makes its value; concurrent ones still share). A value larger than the bound is made and not kept.
 */
export class ByteBoundedCache<V extends object> {
  private readonly entries: LRUCache<string, V> | undefined;
  private readonly making = new Map<string, Promise<V>>();

  constructor(
    readonly maxBytes: number,
    sizeOf: (value: V) => number,
  ) {
    // lru-cache wants a positive bound; sizes of 0 count as 1 byte so that the bound still holds.
    this.entries = maxBytes > 0 ? new LRUCache<string, V>({ maxSize: maxBytes, sizeCalculation: (value) => Math.max(1, sizeOf(value)) }) : undefined;
  }

  /** The value for a key: cached, being made by another request, or made now (and kept when it fits). */
  async getOrMake(key: string, make: () => Promise<V>): Promise<{ value: V; outcome: CacheOutcome }> {
    const cached = this.entries?.get(key);
    if (cached) return { value: cached, outcome: 'hit' };
    const pending = this.making.get(key);
    if (pending) return { value: await pending, outcome: 'shared' };
    const made = make();
    this.making.set(key, made);
    try {
      const value = await made;
      this.entries?.set(key, value);
      return { value, outcome: 'made' };
    } finally {
      this.making.delete(key);
    }
  }

  /** Bytes held now (at most maxBytes). */
  get bytes(): number {
    return this.entries?.calculatedSize ?? 0;
  }

  has(key: string): boolean {
    return this.entries?.has(key) ?? false;
  }
}
