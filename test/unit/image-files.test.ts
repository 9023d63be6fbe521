import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listImageFiles } from '../../cli/image-files.ts';

describe('listImageFiles', () => {
  it('follows symbolic links to images and folders, reports broken ones, and survives a link back up the tree', async () => {
    const root = await mkdtemp(join(tmpdir(), 'artmeta-files-'));
    const elsewhere = await mkdtemp(join(tmpdir(), 'artmeta-elsewhere-'));
    await writeFile(join(elsewhere, 'linked.jpg'), 'x');
    await mkdir(join(elsewhere, 'album'));
    await writeFile(join(elsewhere, 'album', 'in-album.png'), 'x');
    await writeFile(join(root, 'a.jpg'), 'x');
    await writeFile(join(root, 'notes.txt'), 'x');
    await symlink(join(elsewhere, 'linked.jpg'), join(root, 'b-link.jpg'));
    await symlink(join(elsewhere, 'album'), join(root, 'c-album'));
    await symlink(join(elsewhere, 'gone.jpg'), join(root, 'd-broken.jpg'));
    await symlink(root, join(root, 'e-loop'));
    expect(await listImageFiles([root])).toEqual({
      files: [join(root, 'a.jpg'), join(root, 'b-link.jpg'), join(root, 'c-album', 'in-album.png'), join(root, 'd-broken.jpg')],
      unreadable: [],
    });
  });
});
