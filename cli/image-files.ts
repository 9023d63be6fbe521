import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ArtmetaError } from '../analysis/errors.ts';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.avif', '.tif', '.tiff', '.gif']);

/** The files to read, and the folders under the inputs that could not be listed (each reported as a failed input). */
export interface ImageFiles {
  files: string[];
  unreadable: { file: string; error: { code: 'NOT_FOUND'; message: string } }[];
}

/**
 * The image files named by `inputs`: files as given (whatever their extension, so a bad file is
 * reported rather than skipped), directories walked recursively for image extensions, in name order.
 * Symbolic links are followed (a link to an image is an image; a broken one is listed, so it is
 * reported); a folder already walked (a link back up the tree) is not walked again. A folder inside
 * an input that cannot be listed (no permission: `lost+found` at the top of a disk) is reported in
 * `unreadable` and the walk goes on; an input folder that cannot be listed throws NOT_FOUND.
 */
export async function listImageFiles(inputs: readonly string[]): Promise<ImageFiles> {
  const found: ImageFiles = { files: [], unreadable: [] };
  const walked = new Set<string>();
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (!info?.isDirectory()) found.files.push(input);
    else if (!(await walk(input, walked, found))) throw new ArtmetaError('NOT_FOUND', found.unreadable.pop()!.error.message);
  }
  return found;
}

/** Adds the images under `dir` to `found`; false when `dir` itself cannot be listed. */
async function walk(dir: string, walked: Set<string>, found: ImageFiles): Promise<boolean> {
  let entries;
  try {
    const real = await realpath(dir);
    if (walked.has(real)) return true;
    walked.add(real);
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    found.unreadable.push({ file: dir, error: { code: 'NOT_FOUND', message: `cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` } });
    return false;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const target = entry.isSymbolicLink() ? await stat(path).catch(() => undefined) : entry;
    const isImageName = IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase());
    if (target?.isDirectory()) await walk(path, walked, found);
    else if ((target === undefined || target.isFile()) && isImageName) found.files.push(path);
  }
  return true;
}
