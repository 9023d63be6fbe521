import type { Analysis } from '../../analysis/analysis-schema.ts';
import { isCurrentSignature, SIGNATURE_HEADER_BYTES } from '../../analysis/lineage/signature-codec.ts';
import { contentHash } from '../queue/job-id.ts';
import type { RedisClient } from '../queue/redis-connection.ts';

/** What the store holds for one image, keyed by the SHA-256 of its bytes. */
export interface StoredImage {
  analysis: Analysis;
  /**
   * Whether a lineage signature of the current format version is stored beside the analysis. One an
   * older build stored (a format change since) counts as none: the image must be analysed again.
   */
  signed: boolean;
}

/** Base64 characters that hold a signature's header (4 characters per 3 bytes). */
const SIGNATURE_HEADER_CHARS = Math.ceil(SIGNATURE_HEADER_BYTES / 3) * 4;

/** A hash field's first ARGV[2] characters ('' when there is none): a signature's header without its ~24 kB. */
const FIELD_PREFIX_SCRIPT = `return string.sub(redis.call('HGET', KEYS[1], ARGV[1]) or '', 1, tonumber(ARGV[2]))`;

/**
 * Where the store keeps an image (`<prefix>:image:<hash>`) and, in it, the field of its base64 signature:
 * the lineage catalogue's scripts read representatives' signatures there instead of copying them.
 */
export const STORED_SIGNATURE = { keyPrefix: (prefix: string) => `${prefix}:image:`, field: 'signature' } as const;

/** The store's set of every stored image hash: the catalogue's delete script takes an image out of it and the index in one step. */
export const storedImagesKey = (prefix: string) => `${prefix}:images`;

/**
 * Analyses and signatures in Redis, all keys under the configured hash-tagged prefix (one Cluster
 * slot); lineage membership is the catalogue's (service/catalogue):
 * - `<prefix>:image:<hash>`   hash: `analysis` (JSON), `signature`
 * - `<prefix>:images`         set of every stored image hash (for a catalogue rebuild)
 * - `<prefix>:upload:<hash>`  uploaded bytes waiting for their job (expire)
 */
export class ResultStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** The analysis of an image: one HGET, which is what makes known-image crop hints fast. */
  async getAnalysis(hash: string): Promise<Analysis | undefined> {
    const json = await this.redis.hget(this.imageKey(hash), 'analysis');
    return json === null ? undefined : (JSON.parse(json) as Analysis);
  }

  /**
   * The analysis of an image and whether a current signature is stored, in one round trip. Of the
   * signature (~24 kB of base64) only its header is read: every request on a known image asks this,
   * and none needs the rest.
   */
  async get(hash: string): Promise<StoredImage | undefined> {
    const key = this.imageKey(hash);
    const replies = await this.redis
      .multi()
      .hget(key, 'analysis')
      .eval(FIELD_PREFIX_SCRIPT, 1, key, STORED_SIGNATURE.field, SIGNATURE_HEADER_CHARS)
      .exec();
    const analysis = replies?.[0]?.[1] as string | null | undefined;
    if (!analysis) return undefined;
    const header = replies?.[1]?.[1];
    return { analysis: JSON.parse(analysis) as Analysis, signed: typeof header === 'string' && isCurrentSignature(Buffer.from(header, 'base64')) };
  }

  /** Whether an image's analysis is stored: one HEXISTS, nothing read. */
  async has(hash: string): Promise<boolean> {
    return (await this.redis.hexists(this.imageKey(hash), 'analysis')) === 1;
  }

  async save(hash: string, analysis: Analysis, signature?: string): Promise<void> {
    const fields: Record<string, string> = { analysis: JSON.stringify(analysis), analysedAt: new Date().toISOString() };
    if (signature !== undefined) fields.signature = signature;
    await this.redis.multi().hset(this.imageKey(hash), fields).sadd(this.indexKey(), hash).exec();
  }

  /** Forgets an image; true when it was stored. */
  async delete(hash: string): Promise<boolean> {
    const replies = (await this.redis.multi().del(this.imageKey(hash)).srem(this.indexKey(), hash).exec()) ?? [];
    return replies[0]?.[1] === 1;
  }

  /** Every stored image hash, in pages (SSCAN): what a catalogue rebuild walks. */
  async *hashes(): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, page] = await this.redis.sscan(this.indexKey(), cursor, 'COUNT', 1000);
      if (page.length > 0) yield page;
      cursor = next;
    } while (cursor !== '0');
  }

  /** Signatures of the given images, in order; undefined where none is stored. */
  async signatures(hashes: readonly string[]): Promise<(string | undefined)[]> {
    if (hashes.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const hash of hashes) pipeline.hget(this.imageKey(hash), STORED_SIGNATURE.field);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, value]) => (error || typeof value !== 'string' ? undefined : value));
  }

  /** Keeps uploaded bytes until their job reads them; returns their hash. */
  async putUpload(bytes: Buffer, ttlSeconds: number): Promise<string> {
    const hash = contentHash(bytes);
    await this.redis.set(this.uploadKey(hash), bytes, 'EX', ttlSeconds);
    return hash;
  }

  async getUpload(hash: string): Promise<Buffer | undefined> {
    return (await this.redis.getBuffer(this.uploadKey(hash))) ?? undefined;
  }

  async deleteUpload(hash: string): Promise<void> {
    await this.redis.del(this.uploadKey(hash));
  }

  private imageKey(hash: string): string {
    return `${STORED_SIGNATURE.keyPrefix(this.prefix)}${hash}`;
  }

  private indexKey(): string {
    return storedImagesKey(this.prefix);
  }

  private uploadKey(hash: string): string {
    return `${this.prefix}:upload:${hash}`;
  }
}
