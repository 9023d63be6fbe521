import type { ArtmetaConfig } from '../config.ts';
import { ArtmetaError } from '../../analysis/errors.ts';
import { readPath, readPathVersion, statPath, type FileVersion, type PathSourceOptions } from '../sources/path-source.ts';
import { PathHashMemo } from '../sources/path-hash-memo.ts';
import { fetchUrl } from '../sources/url-source.ts';
import { contentHash } from './job-id.ts';
import type { ImageSource } from './job-schema.ts';
import type { ResultStore } from '../store/result-store.ts';

export type ImageLoader = (source: ImageSource) => Promise<Buffer>;

/** Reads the bytes of any job source with the configured guards (SSRF, path roots, size caps). */
export function imageLoader(config: Pick<ArtmetaConfig, 'sources'>, store: ResultStore): ImageLoader {
  const { url, pathRoots } = config.sources;
  return async (source) => {
    if ('url' in source) return fetchUrl(source.url, url);
    if ('path' in source) return readPath(source.path, { roots: pathRoots });
    const bytes = await store.getUpload(source.upload);
    // Bytes of an image already analysed are not kept (stageUpload): its stored analysis answers the
    // job, unless the image is deleted before the job runs. Both causes are named: the job cannot tell which.
    if (!bytes) {
      throw new ArtmetaError(
        'NOT_FOUND',
        `upload ${source.upload} is no longer stored: it expired (ARTMETA_UPLOAD_TTL_SECONDS) or never arrived, or its image was deleted (DELETE /v1/images/:hash) before this job ran; upload it again`,
      );
    }
    return bytes;
  };
}

/** A source's content hash (contentHash of its bytes), and its bytes, read when asked for if they were not yet. */
export interface HashedImage {
  hash: string;
  bytes(): Promise<Buffer>;
}

export type HashedImageLoader = (source: ImageSource) => Promise<HashedImage>;

/**
 * A loader for requests that may need only the hash (a render whose picture or master is cached). A
 * `path` source's hash is remembered by file version (PathHashMemo): a known version is a stat, not
 * a read and a hash of the whole file. A `url` source is fetched and hashed every time: nothing but
 * a request to its server says whether it changed, and a conditional request would trust each
 * server's ETag or Last-Modified to name the bytes (a CDN in front of /render keeps its pictures anyway).
 */
export function hashedImageLoader(config: Pick<ArtmetaConfig, 'sources'>, store: ResultStore, memo = new PathHashMemo()): HashedImageLoader {
  const load = imageLoader(config, store);
  const options: PathSourceOptions = { roots: config.sources.pathRoots };
  return async (source) => {
    if (!('path' in source)) return hashed(await load(source));
    const version = await statPath(source.path, options);
    const hash = memo.get(version);
    if (hash !== undefined) return { hash, bytes: () => readVersion(source.path, options, version, hash) };
    const read = await readPathVersion(source.path, options);
    const image = hashed(read.bytes);
    if (read.version) memo.remember(read.version, image.hash);
    return image;
  };
}

function hashed(bytes: Buffer): HashedImage {
  return { hash: contentHash(bytes), bytes: () => Promise.resolve(bytes) };
}

/** The bytes a remembered hash names: those of the version stat found, or bytes with that hash if the file changed since. */
async function readVersion(path: string, options: PathSourceOptions, version: FileVersion, hash: string): Promise<Buffer> {
  const read = await readPathVersion(path, options);
  if (read.version?.key === version.key || contentHash(read.bytes) === hash) return read.bytes;
  throw new ArtmetaError('SOURCE_UNAVAILABLE', `${path} changed while it was being rendered; try again`);
}
