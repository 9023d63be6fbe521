import type { ArtmetaConfig } from '../config.ts';
import { ArtmetaError } from '../../analysis/errors.ts';
import { readPath } from '../sources/path-source.ts';
import { fetchUrl } from '../sources/url-source.ts';
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
    if (!bytes) throw new ArtmetaError('NOT_FOUND', `upload ${source.upload} has expired or never arrived`);
    return bytes;
  };
}
