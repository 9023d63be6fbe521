import { describe, expect, it } from 'vitest';
import { ByteBoundedCache } from '../../api/render/byte-bounded-cache.ts';

const bytes = (n: number, fill = 0) => Buffer.alloc(n, fill);

describe('ByteBoundedCache (rendered pictures, render masters)', () => {
  it('keeps at most its bound in bytes, evicting the least recently used first', async () => {
    const cache = new ByteBoundedCache<Buffer>(250, (b) => b.length);
    for (const key of ['a', 'b']) await cache.getOrMake(key, async () => bytes(100));
    // Touch `a`: `b` is now the least recently used.
    expect((await cache.getOrMake('a', async () => bytes(100, 1))).outcome).toBe('hit');
    await cache.getOrMake('c', async () => bytes(100));
    expect(cache.bytes).toBeLessThanOrEqual(250);
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
    expect((await cache.getOrMake('b', async () => bytes(100))).outcome).toBe('made');
  });

  it('returns the cached value itself on a hit, not a new making', async () => {
    const cache = new ByteBoundedCache<Buffer>(1_000, (b) => b.length);
    const first = await cache.getOrMake('k', async () => bytes(10, 7));
    const again = await cache.getOrMake('k', async () => bytes(10, 9));
    expect(again).toEqual({ value: first.value, outcome: 'hit' });
  });

  it('makes a key once for requests that miss it together', async () => {
    const cache = new ByteBoundedCache<Buffer>(1_000, (b) => b.length);
    let makings = 0;
    const make = async () => {
      makings++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return bytes(10);
    };
    const outcomes = await Promise.all([1, 2, 3].map(() => cache.getOrMake('k', make)));
    expect(makings).toBe(1);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['made', 'shared', 'shared']);
  });

  it('keeps nothing with a bound of 0, nor a value larger than the bound, nor a failed making', async () => {
    const off = new ByteBoundedCache<Buffer>(0, (b) => b.length);
    await off.getOrMake('k', async () => bytes(10));
    expect((await off.getOrMake('k', async () => bytes(10))).outcome).toBe('made');
    expect(off.bytes).toBe(0);
    const small = new ByteBoundedCache<Buffer>(50, (b) => b.length);
    await small.getOrMake('big', async () => bytes(51));
    expect(small.has('big')).toBe(false);
    await expect(small.getOrMake('bad', () => Promise.reject(new Error('corrupt')))).rejects.toThrow('corrupt');
    expect((await small.getOrMake('bad', async () => bytes(5))).outcome).toBe('made');
  });
});
