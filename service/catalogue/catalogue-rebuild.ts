import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { compareCanonical } from '../../analysis/lineage/lineage-clustering.ts';
import type { LineageMatcher } from '../../analysis/lineage/lineage-matcher.ts';
import type { RedisClient } from '../queue/redis-connection.ts';
import type { ResultStore } from '../store/result-store.ts';
import { CatalogueIndex, decodeStoredSignature } from './catalogue-index.ts';
import { CatalogueKeys, type GenerationKeys } from './catalogue-keys.ts';
import { withCatalogueCommands } from './catalogue-scripts.ts';

export interface RebuildReport {
  generation: string;
  images: number;
  lineages: number;
  /** Lineages whose members are exactly the same as before: their ids are kept. */
  unchanged: number;
  /** Lineages that changed members but kept the id of the old lineage they overlap most. */
  keptChanged: number;
  /** Lineages with an id that did not exist before. */
  newIds: string[];
  /** Old ids no lineage carries any more. */
  goneIds: string[];
  /** Images whose lineage id changed (new images are not listed). */
  moved: { image: string; from: string; to: string }[];
}

/** Signatures read per round trip. */
const PAGE = 200;

/**
 * `artmeta catalogue rebuild`: re-assigns every stored image from its stored signature into a new
 * generation of the index (in canonical order — largest image first, as `artmeta cluster` does —
 * so the same images give the same lineages), then gives each new lineage the id of the old lineage
 * with the same members, or else of the old lineage it shares most members with, and publishes the
 * generation in one step. Images analysed while it runs are caught up before and after publishing.
 */
export class CatalogueRebuild {
  private readonly keys: CatalogueKeys;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly store: ResultStore,
    private readonly matcher: LineageMatcher,
  ) {
    this.keys = new CatalogueKeys(prefix);
  }

  /** `onProgress` is called after each image of the canonical pass. */
  async run(onProgress?: (done: number, total: number) => void): Promise<RebuildReport> {
    const oldGeneration = (await this.redis.get(this.keys.generation)) ?? '0';
    const before = await this.membership(this.keys.of(oldGeneration));
    let generation = String(await this.redis.incr(`${this.keys.base}:generations`));
    while (generation === oldGeneration) generation = String(await this.redis.incr(`${this.keys.base}:generations`));
    const index = new CatalogueIndex(this.redis, this.prefix, this.matcher, generation);
    // From now on a delete takes its image out of this generation too (catalogue-scripts.ts, REMOVE).
    await this.redis.set(this.keys.rebuilding, generation);

    const order = await this.canonicalOrder();
    let done = 0;
    for (let first = 0; first < order.length; first += PAGE) {
      await this.assignAll(index, order.slice(first, first + PAGE), () => onProgress?.(++done, order.length));
    }
    await this.catchUp(index, before.lineageOf);

    const after = await this.membership(this.keys.of(generation));
    const { names, report } = nameLineages(before, after);
    await withCatalogueCommands(this.redis).cataloguePublish(this.keys.generation, this.keys.base, generation, ...names.flatMap(([num, id]) => [num, id]));
    // Published: the workers now assign into the new generation; images the old one got meanwhile follow.
    await this.catchUp(new CatalogueIndex(this.redis, this.prefix, this.matcher), (await this.membership(this.keys.of(oldGeneration))).lineageOf);
    await this.dropGeneration(this.keys.of(oldGeneration));
    return { generation, images: after.lineageOf.size, lineages: after.members.size, ...report };
  }

  /** Stored images with a signature, largest first, then by content hash and image hash. */
  private async canonicalOrder(): Promise<string[]> {
    const sortable: { id: string; signature: Pick<ImageSignature, 'width' | 'height' | 'contentHash'> }[] = [];
    for await (const page of this.store.hashes()) {
      const signatures = await this.store.signatures(page);
      page.forEach((hash, k) => {
        const encoded = signatures[k];
        if (!encoded) return;
        const { width, height, contentHash } = decodeStoredSignature(encoded, hash);
        sortable.push({ id: hash, signature: { width, height, contentHash } });
      });
    }
    return sortable.sort(compareCanonical).map((s) => s.id);
  }

  private async assignAll(index: CatalogueIndex, hashes: string[], onAssigned?: () => void): Promise<void> {
    const signatures = await this.store.signatures(hashes);
    for (const [k, hash] of hashes.entries()) {
      const encoded = signatures[k];
      if (!encoded) continue;
      await index.assign(hash, decodeStoredSignature(encoded, hash), Buffer.from(encoded, 'base64'), true);
      // Deleted between the signature read and the assignment: the delete did not find it in this generation yet.
      if (!(await this.store.has(hash))) await index.remove(hash);
      onAssigned?.();
    }
  }

  private async catchUp(index: CatalogueIndex, previous: Map<string, string>): Promise<void> {
    const current = await this.membership(this.keys.of(await index.currentGeneration()));
    const missing = [...previous.keys()].filter((image) => !current.lineageOf.has(image));
    for (let first = 0; first < missing.length; first += PAGE) await this.assignAll(index, missing.slice(first, first + PAGE));
  }

  /** Image → lineage number and lineage number → members (with its id) of one generation. */
  private async membership(keys: GenerationKeys): Promise<Membership> {
    const lineageOf = new Map<string, string>();
    const members = new Map<string, string[]>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(keys.images, cursor, 'COUNT', 1000);
      for (let i = 0; i < flat.length; i += 2) {
        const num = flat[i + 1]!.split(':')[1]!;
        if (lineageOf.has(flat[i]!)) continue;
        lineageOf.set(flat[i]!, num);
        members.set(num, [...(members.get(num) ?? []), flat[i]!]);
      }
      cursor = next;
    } while (cursor !== '0');
    const idOf = new Map<string, string>();
    const ids = await this.redis.hgetall(keys.ids);
    for (const [id, num] of Object.entries(ids)) idOf.set(num, id);
    return { lineageOf, members, idOf };
  }

  private async dropGeneration(keys: GenerationKeys): Promise<void> {
    const count = Number((await this.redis.hget(keys.meta, 'lineages')) ?? 0);
    for (let first = 1; first <= count; first += PAGE) {
      const nums = Array.from({ length: Math.min(PAGE, count - first + 1) }, (_, k) => first + k);
      const reps = await Promise.all(nums.map((num) => this.redis.hget(keys.lineage(num), 'reps')));
      const doomed = nums.flatMap((num, k) => [keys.lineage(num), keys.members(num), ...(reps[k] ?? '').split(' ').filter(Boolean).map((rep) => keys.signature(num, rep))]);
      await this.redis.unlink(...doomed);
    }
    const tables = Array.from({ length: this.matcher.tables }, (_, t) => keys.table(t));
    await this.redis.unlink(keys.meta, keys.slots, keys.pending, keys.images, keys.ids, ...tables);
  }
}

interface Membership {
  /** Image → lineage number. */
  lineageOf: Map<string, string>;
  /** Lineage number → members. */
  members: Map<string, string[]>;
  /** Lineage number → id. */
  idOf: Map<string, string>;
}

/**
 * Ids for the new lineages: an old lineage's id goes to the new lineage with exactly its members,
 * else to the new lineage sharing most of its members (each id once, biggest overlaps first, ties to
 * the one with the old root); the others keep the id their root gave them, suffixed if an old id took it.
 */
function nameLineages(before: Membership, after: Membership): { names: [string, string][]; report: Omit<RebuildReport, 'generation' | 'images' | 'lineages'> } {
  const oldIdOfImage = new Map([...before.lineageOf].map(([image, num]) => [image, before.idOf.get(num)!]));
  const keyOf = (members: string[]) => [...members].sort().join(',');
  const oldByMembers = new Map([...before.members].map(([num, members]) => [keyOf(members), before.idOf.get(num)!]));
  const name = new Map<string, string>();
  const taken = new Set<string>();
  let unchanged = 0;
  for (const [num, members] of after.members) {
    const id = oldByMembers.get(keyOf(members));
    if (id && !taken.has(id)) {
      name.set(num, id);
      taken.add(id);
      unchanged++;
    }
  }
  const overlaps: { num: string; id: string; shared: number }[] = [];
  for (const [num, members] of after.members) {
    if (name.has(num)) continue;
    const counts = new Map<string, number>();
    for (const image of members) {
      const id = oldIdOfImage.get(image);
      if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const [id, shared] of counts) overlaps.push({ num, id, shared });
  }
  // Ties go to the new lineage rooted where the old one was (its natural id is the old id).
  const sameRoot = (o: { num: string; id: string }) => (after.idOf.get(o.num) === o.id ? 1 : 0);
  overlaps.sort((p, q) => q.shared - p.shared || sameRoot(q) - sameRoot(p) || compare(p.id, q.id) || compare(p.num, q.num));
  let keptChanged = 0;
  for (const { num, id } of overlaps) {
    if (name.has(num) || taken.has(id)) continue;
    name.set(num, id);
    taken.add(id);
    keptChanged++;
  }
  const newIds: string[] = [];
  for (const num of after.members.keys()) {
    if (name.has(num)) continue;
    const natural = after.idOf.get(num)!;
    let id = natural;
    for (let k = 2; taken.has(id); k++) id = `${natural}-${k}`;
    name.set(num, id);
    taken.add(id);
    newIds.push(id);
  }
  const moved: RebuildReport['moved'] = [];
  for (const [image, num] of after.lineageOf) {
    const from = oldIdOfImage.get(image);
    const to = name.get(num)!;
    if (from && from !== to) moved.push({ image, from, to });
  }
  const goneIds = [...new Set(before.idOf.values())].filter((id) => !taken.has(id)).sort();
  return { names: [...name], report: { unchanged, keptChanged, newIds: newIds.sort(), goneIds, moved } };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
