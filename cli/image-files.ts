import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.avif', '.tif', '.tiff', '.gif']);

/**
 * The image files named by `inputs`: files as given (whatever their extension, so a bad file is
 * reported rather than skipped), directories walked recursively for image extensions, in name order.
 * Symbolic links are followed (a link to an image is an image; a broken one is listed, so it is
 * reported); a folder already walked (a link back up the tree) is not walked again.
 */
export async function listImageFiles(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  const walked = new Set<string>();
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (info?.isDirectory()) files.push(...(await walk(input, walked)));
    else files.push(input);
  }
  return files;
}

async function walk(dir: string, walked: Set<string>): Promise<string[]> {
  const real = await realpath(dir);
  if (walked.has(real)) return [];
  walked.add(real);
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const target = entry.isSymbolicLink() ? await stat(path).catch(() => undefined) : entry;
    const isImageName = IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase());
    if (target?.isDirectory()) files.push(...(await walk(path, walked)));
    else if ((target === undefined || target.isFile()) && isImageName) files.push(path);
  }
  return files;
}
