import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashedImageLoader } from '../../service/queue/image-loader.ts';
import { contentHash } from '../../service/queue/job-id.ts';
import { PathHashMemo } from '../../service/sources/path-hash-memo.ts';
import { statPath } from '../../service/sources/path-source.ts';
import type { ResultStore } from '../../service/store/result-store.ts';

/** Path sources only: the store is read for uploads alone. */
const NO_STORE = {} as ResultStore;

async function setUp() {
  const root = await mkdtemp(join(tmpdir(), 'artmeta-hashes-'));
  const memo = new PathHashMemo();
  const config = { sources: { pathRoots: [root], url: { allow: [], maxBytes: 1, timeoutMs: 1 } } };
  return { root, memo, load: hashedImageLoader(config, NO_STORE, memo) };
}

describe('content hashes of path sources, remembered by file version', () => {
  it('answers a remembered version from the memo, without reading the file', async () => {
    const { root, memo, load } = await setUp();
    await writeFile(join(root, 'a.bin'), 'first bytes');
    // A hash no read of the file could give: the answer comes from the memo, by the file's version.
    const remembered = 'f'.repeat(64);
    memo.remember({ ...(await statPath('a.bin', { roots: [root] })), changedMs: 0 }, remembered);
    expect((await load({ path: 'a.bin' })).hash).toBe(remembered);

    // Rewritten, same size: another version, read and hashed again.
    await writeFile(join(root, 'a.bin'), 'other bytes');
    const image = await load({ path: 'a.bin' });
    expect(image.hash).toBe(contentHash(Buffer.from('other bytes')));
    expect((await image.bytes()).toString()).toBe('other bytes');
  });

  it('does not remember a file changed less than a second ago (its time may not move at its next write)', async () => {
    const { root, memo, load } = await setUp();
    await writeFile(join(root, 'new.bin'), 'fresh');
    expect((await load({ path: 'new.bin' })).hash).toBe(contentHash(Buffer.from('fresh')));
    expect(memo.size).toBe(0);
  });

  it('gives the bytes of the remembered hash only: a file changed after the stat is refused, retryable', async () => {
    const { root, memo, load } = await setUp();
    const file = join(root, 'b.bin');
    const rememberOldBytes = async () => memo.remember({ ...(await statPath('b.bin', { roots: [root] })), changedMs: 0 }, contentHash(Buffer.from('old bytes')));
    await writeFile(file, 'old bytes');
    await rememberOldBytes();
    const touched = await load({ path: 'b.bin' });
    // Rewritten with the same bytes after the stat: another version, but the bytes the hash names.
    await writeFile(file, 'old bytes');
    expect((await touched.bytes()).toString()).toBe('old bytes');

    await rememberOldBytes();
    const changed = await load({ path: 'b.bin' });
    await writeFile(file, 'new bytes');
    await expect(changed.bytes()).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
    expect((await load({ path: 'b.bin' })).hash).toBe(contentHash(Buffer.from('new bytes')));
  });
});
