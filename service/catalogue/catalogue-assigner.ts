import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { lineageMatcher, type LineageMatcher } from '../../analysis/lineage/lineage-matcher.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import type { RedisClient } from '../queue/redis-connection.ts';
import type { ResultStore } from '../store/result-store.ts';
import { CatalogueIndex, decodeStoredSignature } from './catalogue-index.ts';

/**
 * What an analyze job calls once its image is stored: put the image into its lineage of the whole
 * catalogue. Verification runs on the caller's thread (about 2 ms per candidate lineage; aligned SSIM
 * needs OpenCV, loaded once per process).
 */
export class CatalogueAssigner {
  readonly index: CatalogueIndex;
  private opencv: Promise<unknown> | undefined;

  constructor(
    redis: RedisClient,
    prefix: string,
    private readonly store: ResultStore,
    matcher: LineageMatcher = lineageMatcher(),
  ) {
    this.index = new CatalogueIndex(redis, prefix, matcher);
  }

  /**
   * The lineage of a stored image: its current one when it is in the catalogue, else it is assigned
   * from its stored signature. Undefined when the store holds no signature for it, or when the image
   * was deleted (`DELETE /v1/images/:hash`) while it was being assigned: the delete found it in the
   * store but not yet in the index, so it is taken out of the index here, or its lineage would keep a
   * member the store no longer knows.
   */
  async assignStored(hash: string): Promise<string | undefined> {
    const known = await this.index.lineageOf(hash);
    if (known) return known;
    const [signature] = await this.store.signatures([hash]);
    if (!signature) return undefined;
    const lineage = await this.assign(hash, signature);
    if (await this.store.has(hash)) return lineage;
    await this.index.remove(hash);
    return undefined;
  }

  /** The lineage of an image from its stored signature (base64, as the result store keeps it). */
  async assign(hash: string, signatureBase64: string): Promise<string> {
    this.opencv ??= loadOpenCV();
    await this.opencv;
    const signature: ImageSignature = decodeStoredSignature(signatureBase64, hash);
    return (await this.index.assign(hash, signature, Buffer.from(signatureBase64, 'base64'), true)).lineage;
  }
}
