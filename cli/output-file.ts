import { createWriteStream, type WriteStream } from 'node:fs';
import { ArtmetaError } from '../analysis/errors.ts';

/**
 * Opens the file an option names for writing, before any work starts: a path that cannot be
 * written is a message naming the option and exit code 2, not a crash, a hang, or a failure once
 * every image has been read.
 */
export async function openOutputFile(option: string, path: string): Promise<WriteStream> {
  const stream = createWriteStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (e: NodeJS.ErrnoException) => reject(e));
  }).catch((e: NodeJS.ErrnoException) => cannotWrite(option, path, e));
  return stream;
}

export function cannotWrite(option: string, path: string, e: NodeJS.ErrnoException): never {
  throw new ArtmetaError('INVALID_ARGUMENT', `cannot write ${option} ${path}: ${e.code ?? e.message}`);
}

/** Writes `text` and closes the stream. */
export function writeAndClose(stream: WriteStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(text, () => resolve());
  });
}
