import { stat } from 'node:fs/promises';
import { ArtmetaError } from '../analysis/errors.ts';

/** `https://…`, `s3://…`: an address with a scheme, as a user pastes it from a browser or a bucket. */
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Refuses a URL where a file is read (analyze, cluster, similarity, and submit for any scheme but
 * http(s)) — unless a file of that name exists, which is read. Read as a path, a URL failed with a
 * bare `ENOENT`, as though the picture behind it were missing.
 */
export async function refuseUrlInput(input: string): Promise<void> {
  if (!URL_SCHEME.test(input) || (await stat(input).then(() => true, () => false))) return;
  throw new ArtmetaError('NOT_FOUND', `cannot read ${input}: a URL, not a file (analyze, cluster and similarity read files; submit and the API fetch http(s) URLs)`);
}
