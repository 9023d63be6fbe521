import type { Analysis } from '../../analysis/analysis-schema.ts';
import { contentHash } from '../queue/job-id.ts';
import type { Lineage } from '../queue/job-schema.ts';
import type { RedisClient } from '../queue/redis-connection.ts';

/** What the store holds for one image, keyed by the SHA-256 of its bytes. */
export interface StoredImage {
  analysis: Analysis;
  /** The encoded lineage signature, when the analysis computed one. */
  signature?: string;
  /** Id of the lineage the image was last clustered into. */
  lineage?: string;
}

/**
 * Analyses, signatures and lineage membership in Redis, all keys under the configured
 * hash-tagged prefix (one Cluster slot):
 * - `<prefix>:image:<hash>`   hash: `analysis` (JSON), `signature`, `lineage`
 * - `<prefix>:lineage:<id>`   set of member hashes
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

  async get(hash: string): Promise<StoredImage | undefined> {
    const [analysis, signature, lineage] = await this.redis.hmget(this.imageKey(hash), 'analysis', 'signature', 'lineage');
    if (!analysis) return undefined;
    return {
      analysis: JSON.parse(analysis) as Analysis,
      ...(signature ? { signature } : {}),
      ...(lineage ? { lineage } : {}),
    };
  }

  async save(hash: string, analysis: Analysis, signature?: string): Promise<void> {
    const fields: Record<string, string> = { analysis: JSON.stringify(analysis), analysedAt: new Date().toISOString() };
    if (signature !== undefined) fields.signature = signature;
    await this.redis.hset(this.imageKey(hash), fields);
  }

  /** Signatures of the given images, in order; undefined where none is stored. */
  async signatures(hashes: readonly string[]): Promise<(string | undefined)[]> {
    if (hashes.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const hash of hashes) pipeline.hget(this.imageKey(hash), 'signature');
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, value]) => (error || typeof value !== 'string' ? undefined : value));
  }

  /**
   * Records lineage membership: each member's `lineage` field, and the lineage's member set. Ids
   * are named after the lineage's root image, so clusterings of overlapping batches add to one set.
   */
  async saveLineages(lineages: readonly Lineage[]): Promise<void> {
    const pipeline = this.redis.multi();
    for (const lineage of lineages) {
      if (lineage.members.length > 0) pipeline.sadd(this.lineageKey(lineage.id), ...lineage.members);
      for (const hash of lineage.members) pipeline.hset(this.imageKey(hash), 'lineage', lineage.id);
    }
    await pipeline.exec();
  }

  async getLineage(id: string): Promise<Lineage | undefined> {
    const members = await this.redis.smembers(this.lineageKey(id));
    return members.length === 0 ? undefined : { id, members: members.sort() };
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
    return `${this.prefix}:image:${hash}`;
  }

  private lineageKey(id: string): string {
    return `${this.prefix}:lineage:${id}`;
  }

  private uploadKey(hash: string): string {
    return `${this.prefix}:upload:${hash}`;
  }
}
