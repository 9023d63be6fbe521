import type { BigIntStats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ArtmetaError } from '../../analysis/errors.ts';

export interface PathSourceOptions {
  /** Directories paths may point into (absolute). None = path sources are refused. */
  roots: readonly string[];
}

/** Largest file read, in bytes: the decoder refuses larger input anyway (DecodeOptions.maxInputBytes). */
const MAX_PATH_BYTES = 64 * 1024 * 1024;

/**
 * One version of a file, named without reading it: device, inode, size, modification and change
 * times (ns) and real path. Writing the file changes its mtime and ctime, replacing it (rename)
 * its inode, and ctime cannot be set back by anyone (utimes restores mtime only, and sets ctime).
 */
export interface FileVersion {
  /** The version as one string, a memo key. */
  key: string;
  /** Last change of the file's bytes or metadata (ctime), ms since the epoch. */
  changedMs: number;
}

/** The bytes of a file and the version they were read from (`undefined` when it changed while being read). */
export interface VersionedBytes {
  bytes: Buffer;
  version: FileVersion | undefined;
}

/**
 * Reads an image file that lies under one of the configured roots. The check is made on the real
 * path (symlinks resolved), so neither `..` nor a symlink can lead outside the roots. Relative paths
 * are taken relative to the first root.
 */
export async function readPath(path: string, options: PathSourceOptions): Promise<Buffer> {
  return (await readPathVersion(path, options)).bytes;
}

/** readPath, and the version of the file read: the same before and after the read, else none. */
export async function readPathVersion(path: string, options: PathSourceOptions): Promise<VersionedBytes> {
  const real = await resolveUnderRoots(path, options.roots);
  const file = await open(real, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new ArtmetaError('NOT_FOUND', `cannot read ${path}: ${e.code ?? e.message}`);
  });
  try {
    const before = await file.stat({ bigint: true });
    checkFile(path, before);
    const bytes = await file.readFile();
    const [first, last] = [fileVersion(real, before), fileVersion(real, await file.stat({ bigint: true }))];
    return { bytes, version: first.key === last.key ? last : undefined };
  } finally {
    await file.close();
  }
}

/** The version of a file under the roots, without reading it (the same guards as readPath). */
export async function statPath(path: string, options: PathSourceOptions): Promise<FileVersion> {
  const real = await resolveUnderRoots(path, options.roots);
  const info = await stat(real, { bigint: true }).catch((e: NodeJS.ErrnoException) => {
    throw new ArtmetaError('NOT_FOUND', `cannot read ${path}: ${e.code ?? e.message}`);
  });
  checkFile(path, info);
  return fileVersion(real, info);
}

function checkFile(path: string, info: BigIntStats): void {
  if (!info.isFile()) throw new ArtmetaError('NOT_FOUND', `not a file: ${path}`);
  if (info.size > MAX_PATH_BYTES) throw new ArtmetaError('INPUT_TOO_LARGE', `${path} is ${info.size} bytes, over the limit of ${MAX_PATH_BYTES}`);
}

function fileVersion(real: string, info: BigIntStats): FileVersion {
  return { key: [info.dev, info.ino, info.size, info.mtimeNs, info.ctimeNs, real].join(':'), changedMs: Number(info.ctimeNs / 1_000_000n) };
}

/** The real path of `path` if it is inside a root; throws INVALID_ARGUMENT (escape) or NOT_FOUND. */
async function resolveUnderRoots(path: string, roots: readonly string[]): Promise<string> {
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
