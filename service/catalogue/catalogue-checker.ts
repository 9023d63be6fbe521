import type { LineageShape } from '../../analysis/lineage/lineage-join.ts';
import type { RedisClient } from '../queue/redis-connection.ts';
import { STORED_SIGNATURE } from '../store/result-store.ts';
import { decodeStoredSignature } from './catalogue-index.ts';
import { CatalogueKeys, PENDING_SLOT, SLOT_BYTES, type GenerationKeys } from './catalogue-keys.ts';

export interface CatalogueCheck {
  generation: string;
  version: string;
  images: number;
  lineages: number;
  /** Slots ever given; slots of removed images stay as empty entries until a rebuild. */
  slots: number;
  /** Images holding a reservation (being assigned, or left by a killed worker until their lease ends). */
  reserved: number;
  /** Bucket entries over all hash tables, and buckets that reached the cap. */
  bucketEntries: number;
  fullBuckets: number;
  /** Every broken invariant, in words; empty = consistent. */
  problems: string[];
}

/** Pipelined reads per round trip while walking. */
const BATCH = 500;
/** Problems listed before the rest are only counted. */
const MAX_LISTED = 50;

/**
 * Walks the current generation of the catalogue and checks every invariant the scripts keep:
 * - each image has one entry, its slot is below the slot count and maps to its lineage, and it is a
 *   member of that lineage — so an image is in exactly one lineage;
 * - each lineage number below the counter is either wholly there (record, id in the id table, members,
 *   a signature per representative, the index's copy or the result store's) or wholly gone; member sets list only images whose entry names them;
 * - live slots are exactly the images' slots, those of deleted representatives of live lineages (their
 *   anchors) and the reserved ones; bucket entries are strictly ascending slots below the slot count
 *   (an image is in a bucket once: distinctBucketKeys);
 * - each reservation is one image's, with its time, below the slot count, PENDING in the slot table,
 *   and every PENDING slot is a reservation's; a reserved image has no entry yet.
 * Uses HSCAN and numbered keys only (no SCAN), so it works on a Redis Cluster node as well. A walk is
 * not a snapshot: run it on a quiet index (analyze queue paused), or images assigned during the walk
 * show up as broken invariants.
 */
export class CatalogueChecker {
  private readonly keys: CatalogueKeys;
  private readonly store: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly tables: number,
  ) {
    this.keys = new CatalogueKeys(prefix);
    this.store = STORED_SIGNATURE.keyPrefix(prefix);
  }

  async check(): Promise<CatalogueCheck> {
    const generation = (await this.redis.get(this.keys.generation)) ?? '0';
    const keys = this.keys.of(generation);
    const problems: string[] = [];
    let unlisted = 0;
    const problem = (text: string) => (problems.length < MAX_LISTED ? problems.push(text) : unlisted++);

    const entries = await this.imageEntries(keys, problem);
    // The counters after the entries: an image assigned during the walk then still has its slot below the count.
    const [version, slotsText, lineagesText] = await this.redis.hmget(keys.meta, 'version', 'slots', 'lineages');
    const slots = Number(slotsText ?? 0);
    const lineageCount = Number(lineagesText ?? 0);
    for (const [image, { slot }] of entries) if (slot >= slots) problem(`image ${image}: slot ${slot} not below the slot count ${slots}`);
    const slotTable = (await this.redis.getBuffer(keys.slots)) ?? Buffer.alloc(0);
    const lineageOfSlot = (slot: number) => (slot * 4 + 4 <= slotTable.length ? slotTable.readUInt32LE(slot * 4) : 0);
    let liveSlots = 0;
    for (let s = 0; s < slots; s++) if (lineageOfSlot(s) !== 0) liveSlots++;
    for (const [image, { slot, num }] of entries) {
      const mapped = lineageOfSlot(slot);
      if (mapped !== num) problem(`image ${image}: slot ${slot} maps to lineage ${mapped}, the entry says ${num}`);
    }
    // Live slots: the images' and those of deleted representatives of live lineages (still their anchors).
    const expectedLive = new Set([...entries.values()].map((e) => e.slot));
    const reserved = await this.checkReservations(keys, slots, entries, lineageOfSlot, problem);
    for (const slot of reserved) expectedLive.add(slot);

    const ids = new Map<string, string>();
    await this.hscan(keys.ids, (id, num) => ids.set(id, num));
    let lineages = 0;
    let members = 0;
    for (let first = 1; first <= lineageCount; first += BATCH) {
      const nums = Array.from({ length: Math.min(BATCH, lineageCount - first + 1) }, (_, k) => first + k);
      const pipeline = this.redis.pipeline();
      for (const num of nums) {
        pipeline.hgetall(keys.lineage(num));
        pipeline.smembers(keys.members(num));
      }
      const replies = (await pipeline.exec()) ?? [];
      for (const [k, num] of nums.entries()) {
        const record = replies[2 * k]?.[1] as Record<string, string>;
        const memberList = replies[2 * k + 1]?.[1] as string[];
        const exists = Object.keys(record).length > 0;
        if (!exists) {
          if (memberList.length > 0) problem(`lineage ${num} is gone but still lists ${memberList.length} members`);
          continue;
        }
        lineages++;
        members += memberList.length;
        for (const slot of this.checkLineage(num, record, memberList, ids, entries, lineageOfSlot, problem)) {
          expectedLive.add(slot);
        }
        await this.checkSignatures(keys, num, record, problem);
      }
    }
    if (liveSlots !== expectedLive.size) problem(`${liveSlots} live slots for ${entries.size} images and ${expectedLive.size - entries.size} deleted representatives`);
    if (ids.size !== lineages) problem(`the id table names ${ids.size} lineages, ${lineages} exist`);
    for (const [id, num] of ids) if (Number(num) > lineageCount || Number(num) < 1) problem(`id ${id} points to lineage ${num}, beyond the counter`);
    if (members !== entries.size) problem(`${members} memberships for ${entries.size} images`);

    const buckets = await this.checkBuckets(keys, slots, problem);
    if (unlisted > 0) problems.push(`… and ${unlisted} more`);
    return { generation, version: version ?? '', images: entries.size, lineages, slots, reserved: reserved.length, ...buckets, problems };
  }

  /** The reservations against the slot table; returns their slots. */
  private async checkReservations(
    keys: GenerationKeys,
    slots: number,
    entries: Map<string, { slot: number; num: number }>,
    lineageOfSlot: (slot: number) => number,
    problem: (text: string) => void,
  ): Promise<number[]> {
    const imageOf = new Map<number, string>();
    const times = new Set<number>();
    await this.hscan(keys.pending, (field, value) => {
      if (field.startsWith('s')) return void times.add(Number(field.slice(1)));
      const image = field.slice(1);
      const slot = Number(value);
      if (imageOf.has(slot)) problem(`images ${imageOf.get(slot)} and ${image} reserved slot ${slot}`);
      imageOf.set(slot, image);
      if (entries.has(image)) problem(`image ${image} has an entry and a reservation`);
      if (!(slot < slots)) problem(`image ${image}: reserved slot ${value} not below the slot count ${slots}`);
      if (lineageOfSlot(slot) !== PENDING_SLOT) problem(`image ${image}: reserved slot ${slot} maps to lineage ${lineageOfSlot(slot)}`);
    });
    for (const slot of times) if (!imageOf.has(slot)) problem(`reservation time of slot ${slot} without its image`);
    for (const slot of imageOf.keys()) if (!times.has(slot)) problem(`reservation of slot ${slot} without its time`);
    for (let s = 0; s < slots; s++) if (lineageOfSlot(s) === PENDING_SLOT && !imageOf.has(s)) problem(`slot ${s} is reserved by no image`);
    return [...imageOf.keys()];
  }

  private async imageEntries(keys: GenerationKeys, problem: (text: string) => void) {
    const entries = new Map<string, { slot: number; num: number }>();
    const owner = new Map<number, string>();
    await this.hscan(keys.images, (image, entry) => {
      const match = /^(\d+):(\d+)$/.exec(entry);
      if (!match) return problem(`image ${image}: malformed entry "${entry}"`);
      const slot = Number(match[1]);
      const num = Number(match[2]);
      const other = owner.get(slot);
      if (other && other !== image) problem(`images ${other} and ${image} share slot ${slot}`);
      owner.set(slot, image);
      entries.set(image, { slot, num });
    });
    return entries;
  }

  /** Checks one lineage's record against the entries; returns its representatives' slots. */
  private checkLineage(
    num: number,
    record: Record<string, string>,
    memberList: string[],
    ids: Map<string, string>,
    entries: Map<string, { slot: number; num: number }>,
    lineageOfSlot: (slot: number) => number,
    problem: (text: string) => void,
  ): number[] {
    const id = record.id ?? '';
    if (ids.get(id) !== String(num)) problem(`lineage ${num} (${id}): the id table says ${ids.get(id) ?? 'nothing'}`);
    if (memberList.length === 0) problem(`lineage ${num} (${id}) has no member`);
    for (const image of memberList) {
      if (entries.get(image)?.num !== num) problem(`lineage ${num} (${id}) lists ${image}, whose entry says ${entries.get(image)?.num ?? 'nothing'}`);
    }
    const reps = (record.reps ?? '').split(' ').filter((r) => r.length > 0);
    if (reps.length === 0) problem(`lineage ${num} (${id}) has no representative`);
    try {
      const shape = JSON.parse(record.shape ?? '') as Partial<LineageShape>;
      // The join decision reads representative k's place in the shape next to its signature.
      if (shape.representatives?.length !== reps.length) problem(`lineage ${num} (${id}): its shape places ${shape.representatives?.length ?? 0} representatives, it has ${reps.length}`);
    } catch {
      problem(`lineage ${num} (${id}): shape is not JSON`);
    }
    const slots = (record.slots ?? '').split(' ').filter((r) => r.length > 0).map(Number);
    if (slots.length !== reps.length) problem(`lineage ${num} (${id}): ${slots.length} representative slots for ${reps.length} representatives`);
    reps.forEach((rep, k) => {
      const slot = slots[k] ?? -1;
      if (lineageOfSlot(slot) !== num) problem(`lineage ${num} (${id}): representative ${rep}'s slot ${slot} maps to lineage ${lineageOfSlot(slot)}`);
    });
    return slots;
  }

  /** Every representative's signature is there (the index's copy or the store's) and decodes. */
  private async checkSignatures(keys: GenerationKeys, num: number, record: Record<string, string>, problem: (text: string) => void): Promise<void> {
    const id = record.id ?? '';
    const reps = (record.reps ?? '').split(' ').filter((r) => r.length > 0);
    for (const rep of reps) {
      const bytes = (await this.redis.get(keys.signature(num, rep))) ?? (await this.redis.hget(`${this.store}${rep}`, STORED_SIGNATURE.field));
      if (!bytes) {
        problem(`lineage ${num} (${id}): representative ${rep} has no signature`);
        continue;
      }
      try {
        decodeStoredSignature(bytes, rep);
      } catch (e) {
        problem(`lineage ${num} (${id}): signature of ${rep} does not decode (${(e as Error).message})`);
      }
    }
  }

  private async checkBuckets(keys: GenerationKeys, slots: number, problem: (text: string) => void) {
    let bucketEntries = 0;
    let fullBuckets = 0;
    for (let t = 0; t < this.tables; t++) {
      await this.hscanBuffers(keys.table(t), (field, value) => {
        if (value.length === 1 && value.toString() === 'F') {
          fullBuckets++;
          return;
        }
        if (value.length % SLOT_BYTES !== 0 || value.length === 0) return problem(`bucket ${t}/${field}: ${value.length} bytes`);
        let last = -1;
        for (let o = 0; o < value.length; o += SLOT_BYTES) {
          const slot = value.readUIntLE(o, SLOT_BYTES);
          if (slot <= last || slot >= slots) return problem(`bucket ${t}/${field}: slot ${slot} repeated, out of order or not below ${slots}`);
          last = slot;
        }
        bucketEntries += value.length / SLOT_BYTES;
      });
    }
    return { bucketEntries, fullBuckets };
  }

  private async hscan(key: string, each: (field: string, value: string) => void): Promise<void> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(key, cursor, 'COUNT', 1000);
      for (let i = 0; i < flat.length; i += 2) each(flat[i]!, flat[i + 1]!);
      cursor = next;
    } while (cursor !== '0');
  }

  private async hscanBuffers(key: string, each: (field: string, value: Buffer) => void): Promise<void> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscanBuffer(key, cursor, 'COUNT', 1000);
      for (let i = 0; i < flat.length; i += 2) each(flat[i]!.toString('hex'), flat[i + 1]!);
      cursor = next.toString();
    } while (cursor !== '0');
  }
}
