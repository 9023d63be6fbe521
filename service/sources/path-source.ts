import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ArtmetaError } from '../../analysis/errors.ts';

export interface PathSourceOptions {
  /** Directories paths may point into (absolute). None = path sources are refused. */
  roots: readonly string[];
  /** Largest file read, in bytes. Default 64 MiB. */
  maxBytes?: number;
}

/**
 * Reads an image file that lies under one of the configured roots. The check is made on the real
 * path (symlinks resolved), so neither `..` nor a symlink can lead outside the roots. Relative paths
 * are taken relative to the first root.
 */
export async function readPath(path: string, options: PathSourceOptions): Promise<Buffer> {
  const real = await resolveUnderRoots(path, options.roots);
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const file = await open(real, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new ArtmetaError('NOT_FOUND', `cannot read ${path}: ${e.code ?? e.message}`);
  });
  try {
    const info = await file.stat();
    if (!info.isFile()) throw new ArtmetaError('NOT_FOUND', `not a file: ${path}`);
    if (info.size > maxBytes) throw new ArtmetaError('INPUT_TOO_LARGE', `${path} is ${info.size} bytes, over the limit of ${maxBytes}`);
    return await file.readFile();
  } finally {
    await file.close();
  }
}

/** The real path of `path` if it is inside a root; throws INVALID_ARGUMENT (escape) or NOT_FOUND. */
export async function resolveUnderRoots(path: string, roots: readonly string[]): Promise<string> {
  const first = roots[0];
  if (first === undefined) throw new ArtmetaError('INVALID_ARGUMENT', 'path sources are disabled (ARTMETA_PATH_ROOTS is empty)');
  if (path.includes('\0')) throw new ArtmetaError('INVALID_ARGUMENT', 'path contains a NUL byte');
  const wanted = isAbsolute(path) ? resolve(path) : resolve(first, path);
  // Refuse lexical escapes before touching the file system, so probing outside the roots reveals nothing.
  const lexicalRoots = roots.map((root) => resolve(root));
  if (!lexicalRoots.some((root) => isInside(wanted, root))) throw outside(path);
  const real = await realpath(wanted).catch((e: NodeJS.ErrnoException) => {
    throw new ArtmetaError('NOT_FOUND', `cannot read ${path}: ${e.code ?? e.message}`);
  });
  const realRoots = await Promise.all(roots.map((root) => realpath(root).catch(() => undefined)));
  if (!realRoots.some((root) => root !== undefined && isInside(real, root))) throw outside(path);
  return real;
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function outside(path: string): ArtmetaError {
  return new ArtmetaError('INVALID_ARGUMENT', `${path} is outside the allowed roots`);
}
