import { setTimeout as sleep } from 'node:timers/promises';
import { ArtmetaError, isArtmetaError } from '../../analysis/errors.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { lineageIdFor } from '../../analysis/lineage/lineage-id.ts';
import { bestJoin, type LineageMatcher, type LineageShape } from '../../analysis/lineage/lineage-matcher.ts';
import { decodeSignature, encodeSignature } from '../../analysis/lineage/signature-codec.ts';
import type { RedisClient } from '../queue/redis-connection.ts';
import { STORED_SIGNATURE, storedImagesKey } from '../store/result-store.ts';
import { CatalogueKeys, packBucketKeys } from './catalogue-keys.ts';
import { withCatalogueCommands, type CatalogueCommands } from './catalogue-scripts.ts';
import { parseLengths, rankVotes, voteTally } from './catalogue-votes.ts';

/** Where one image went. */
export interface Assignment {
  lineage: string;
  /** The image started a new lineage. */
  created: boolean;
  /** The image was in the catalogue already (a retried job, a re-submitted image). */
  known: boolean;
  /** Decisions it took: 1 unless it waited for an older image's decision or a concurrent one changed its lineage. */
  attempts: number;
}

/** A lineage as the API shows it: exact membership, sorted. */
export interface CatalogueLineage {
  id: string;
  /** The image members were verified against (it stays the anchor after being deleted). */
  representative: string;
  members: string[];
}

interface CandidateLineage {
  num: string;
  rev: string;
  shape: LineageShape;
  /** `signature` is empty for a representative the join does not verify (neither the root nor voted for). */
  representatives: Array<{ image: string; signature: Buffer; slot: number }>;
}

/**
 * Conflicts (or lost reservations) before an assignment gives up (the job then fails with a retryable
 * error). A conflict needs a concurrent image joining the same lineage within the few milliseconds of
 * a decision; twenty in a row means something is wrong, not busy.
 */
const MAX_ATTEMPTS = 20;

/**
 * How long a reservation holds (catalogue-scripts.ts): an assignment decides in milliseconds (tens on a
 * loaded machine), so a reservation this old belongs to a worker that died; the images that wait for it
 * stop waiting, and its job, if it comes back, reserves again. Long enough that a worker paused by a
 * full garbage collection or a busy host does not lose its reservation; short enough that the images
 * waiting for a dead one are not failed (they wait at most this long).
 */
const RESERVATION_LEASE_MS = 10_000;

/**
 * Pause between two looks at an older reservation being decided: about a decision's time, growing with
 * every look up to 25 times that (many images waiting at once on a busy worker must leave it the time to decide).
 */
const WAIT_MS = 2;
const MAX_WAIT_STEPS = 25;

/**
 * The index's own layout, part of the version a catalogue is stamped with beside the matcher's: a worker
 * of another layout is told to rebuild. 2: bucket fields are packed 3-byte keys, representatives'
 * signatures are read from the result store (copied, base64, only when the store lacks them).
 * 3: lineage records list their representatives' slots (the candidates script sends only the
 * signatures the join verifies); a deleted representative keeps its slot.
 * 4: reservations — an image's bucket entries are written by its look-up, its lineage by the commit
 * (slots may be PENDING_SLOT, `<g>:pend` lists the reservations). The buckets, slots and lineage records
 * of a layout 3 index are read alike, but a layout 3 worker would neither reserve nor wait: an index
 * moves to 4 by `artmeta catalogue rebuild`, with every worker on layout 4.
 */
const LAYOUT = 4;

/**
 * The catalogue-wide lineage index in Redis, shared by every worker (see catalogue-keys.ts for the
 * layout and catalogue-scripts.ts for the scripts). An assignment is a look-up that reserves the image's
 * slot (reading its buckets and appending its entries in one pass), a read of the lineages of the most
 * voted candidates with their representatives' signatures, the join decision here (the matcher:
 * verification and shared core), and one script that commits it unless a concurrent assignment
 * changed the lineage it joins, in which case it is decided again from the same votes.
 */
export class CatalogueIndex {
  readonly keys: CatalogueKeys;
  /** Matcher and layout: an index built under another must be rebuilt. */
  readonly version: string;
  private readonly redis: RedisClient & CatalogueCommands;
  private readonly store: string;
  private readonly storedImages: string;

  /**
   * @param generation the generation to work on; '' (default) = the current one. `artmeta catalogue
   *   rebuild` fills a new generation before publishing it.
   */
  constructor(
    redis: RedisClient,
    prefix: string,
    readonly matcher: LineageMatcher,
    private readonly generation = '',
  ) {
    this.redis = withCatalogueCommands(redis);
    this.keys = new CatalogueKeys(prefix);
    this.store = STORED_SIGNATURE.keyPrefix(prefix);
    this.storedImages = storedImagesKey(prefix);
    this.version = `${matcher.version}+layout${LAYOUT}`;
  }

  /**
   * Puts an image into its lineage (idempotent: a known image keeps its lineage). `encoded` saves
   * encoding the signature again; `stored`: the result store holds the image's signature, so a new
   * representative's need not be sent (if the store has lost it meanwhile, the commit asks for it).
   */
  async assign(image: string, signature: ImageSignature, encoded?: Uint8Array, stored = false): Promise<Assignment> {
    let sendSignature = !stored;
    const keys = this.matcher.candidateKeys(signature);
    const perTable = keys[0]?.length ?? 0;
    const packedKeys = packBucketKeys(keys);
    const { minVotes, candidates, verifiedLineages, maxBucketSize } = this.matcher.limits;
    // Kept across attempts: the same objects let the matcher reuse its verifications after a conflict.
    const decode = representativeDecoder();
    let attempts = 0;
    let conflicts = 0;
    for (let reservation = 1; reservation <= MAX_ATTEMPTS; reservation++) {
      const [status, gen, third, contents, lengths] = await this.redis.catalogueReserveBuffer(
        this.keys.generation,
        this.keys.base,
        this.generation,
        image,
        this.version,
        RESERVATION_LEASE_MS,
        keys.length,
        perTable,
        packedKeys,
        maxBucketSize,
      );
      const generation = gen?.toString() ?? '';
      switch (status!.toString()) {
        case 'have': {
          const known = await this.lineageOfEntry(generation, third!.toString());
          if (!known) throw new ArtmetaError('CATALOGUE_INCONSISTENT', `catalogue: image ${image} has an entry without a lineage record (run \`artmeta catalogue check\`)`);
          return { lineage: known, created: false, known: true, attempts: attempts + 1 };
        }
        case 'version':
          this.checkVersion(third!.toString());
          break;
        case 'full':
          throw new ArtmetaError('CATALOGUE_OUTDATED', 'the lineage catalogue has used all 2^24 slots of its generation: run `artmeta catalogue rebuild`');
      }
      const slot = Number(third!.toString());
      // The votes of older slots only: the entries a look-up in slot order would have seen.
      // Every slot in the tally has the votes a candidate needs (minVotes, or more in a large index: votesAboveChance).
      const tally = voteTally({ bytes: contents!, lengths: parseLengths(lengths!) }, keys.length, slot, minVotes);
      const voted = rankVotes(tally, minVotes, candidates);
      const votedSlots = new Set(voted);
      const waitUntil = Date.now() + 3 * RESERVATION_LEASE_MS;
      let waits = 0;
      // Decided again, from the same votes, after a wait or a conflict: only a lost reservation reads the buckets again.
      for (;;) {
        attempts++;
        let lineages: CandidateLineage[] = [];
        if (voted.length > 0) {
          const [older, ...reply] = await this.redis.catalogueCandidatesBuffer(this.keys.generation, this.keys.base, generation, this.store, verifiedLineages, slot, RESERVATION_LEASE_MS, ...voted);
          const waitFor = older!.length > 0 && older!.toString().split(' ').some((s) => tally.has(Number(s)));
          if (waitFor) {
            // An older image this one has a candidate's votes for is still deciding: its decision comes first.
            // It commits, or its lease ends (Redis's clock); waiting much longer than that means Redis is wrong.
            if (Date.now() > waitUntil) throw new ArtmetaError('INTERNAL', `catalogue: image ${image} waited for an older reservation three times its lease`);
            await sleep(WAIT_MS * Math.min(++waits, MAX_WAIT_STEPS) * (0.5 + Math.random()));
            continue;
          }
          lineages = parseCandidates(reply);
        }
        const join = this.chooseJoin(signature, lineages, votedSlots, decode);
        // Only a new lineage's root or a new representative is verified against later: the others send no signature.
        const sent = join && !join.representative ? '' : sendSignature ? signatureBase64(signature, encoded) : '';
        const reply = await this.commit(generation, image, slot, signature, join, sent);
        const outcome = String(reply[0]);
        if (outcome === 'ok') return { lineage: String(reply[1]), created: !join, known: false, attempts };
        if (outcome === 'have') return { lineage: String(reply[1]), created: false, known: true, attempts };
        if (outcome === 'version') this.checkVersion(String(reply[1]));
        if (outcome === 'signature') {
          sendSignature = true;
          continue;
        }
        // 'lost' (past its lease) or 'gen' (a rebuild was published meanwhile): reserve again.
        if (outcome !== 'retry') break;
        // The lineage it joins changed: decide again, after a short random pause so that two workers
        // in conflict do not meet again at once.
        if (++conflicts >= MAX_ATTEMPTS) break;
        await sleep(Math.random() * 2 * conflicts);
      }
    }
    throw new ArtmetaError('INTERNAL', `catalogue: image ${image} met a conflicting assignment ${MAX_ATTEMPTS} times in a row`);
  }

  /** The candidate lineage the matcher joins `signature` to, with its decision; undefined to start a new one. */
  private chooseJoin(signature: ImageSignature, lineages: CandidateLineage[], votedSlots: ReadonlySet<number>, decode: RepresentativeDecoder) {
    // Decoded when the join reads them: it verifies the root and the voted ones only (the look-up sent no others).
    const best = bestJoin(lineages, (lineage) =>
      this.matcher.tryJoin(signature, {
        shape: lineage.shape,
        representatives: lineage.representatives.map((r) => ({
          voted: votedSlots.has(r.slot),
          get signature() {
            return decode(lineage.num, r.image, r.signature);
          },
        })),
      }),
    );
    return best && { num: best.lineage.num, rev: best.lineage.rev, ...best.decision };
  }

  /**
   * The commit script: joins `join` (or starts a lineage) unless that lineage changed or the
   * reservation was lost meanwhile; `sentSignature` is the base64 signature for a new representative
   * ('' when not sent). Its reply's first field is the outcome.
   */
  private commit(
    generation: string,
    image: string,
    slot: number,
    signature: ImageSignature,
    join: ReturnType<CatalogueIndex['chooseJoin']>,
    sentSignature: string,
  ) {
    return this.redis.catalogueAssign(
      this.keys.generation,
      this.keys.base,
      generation,
      this.generation === '' ? '1' : '0',
      this.version,
      image,
      slot,
      RESERVATION_LEASE_MS,
      join ? 'join' : 'new',
      join?.num ?? '',
      join?.rev ?? '',
      JSON.stringify(join?.shape ?? this.matcher.startLineage(signature)),
      join?.representative ? '1' : '0',
      lineageIdFor(signature.contentHash),
      sentSignature,
      this.store,
    );
  }

  /** The lineage id of an image, or undefined when it is not in the catalogue. */
  async lineageOf(image: string): Promise<string | undefined> {
    const generation = await this.currentGeneration();
    const entry = await this.redis.hget(this.keys.of(generation).images, image);
    return entry ? this.lineageOfEntry(generation, entry) : undefined;
  }

  async lineage(id: string): Promise<CatalogueLineage | undefined> {
    const keys = this.keys.of(await this.currentGeneration());
    const num = await this.redis.hget(keys.ids, id);
    if (!num) return undefined;
    const [reps, members] = await Promise.all([this.redis.hget(keys.lineage(num), 'reps'), this.redis.smembers(keys.members(num))]);
    if (members.length === 0) return undefined;
    return { id, representative: (reps ?? '').split(' ')[0] ?? '', members: members.sort() };
  }

  /** Takes an image out of the catalogue; its lineage keeps its id unless the image was its last member. */
  async remove(image: string): Promise<{ lineage: string; lineageRemoved: boolean } | undefined> {
    const reply = await this.redis.catalogueRemove(this.keys.generation, this.keys.base, this.generation, image, this.store, '');
    return reply.length === 0 ? undefined : { lineage: String(reply[0]), lineageRemoved: String(reply[1]) === '1' };
  }

  /**
   * Takes an image out of the catalogue and the result store in one step (`DELETE /v1/images/:hash`):
   * done in two, an analyze job could assign the image between them and leave in its lineage a member
   * the store no longer knows. `stored`: the store held the image.
   */
  async deleteImage(image: string): Promise<{ lineage: string | undefined; lineageRemoved: boolean; stored: boolean }> {
    const reply = await this.redis.catalogueRemove(this.keys.generation, this.keys.base, this.generation, image, this.store, this.storedImages);
    return { lineage: String(reply[0]) || undefined, lineageRemoved: String(reply[1]) === '1', stored: String(reply[2]) === '1' };
  }

  async currentGeneration(): Promise<string> {
    return this.generation || ((await this.redis.get(this.keys.generation)) ?? '0');
  }

  private async lineageOfEntry(generation: string, entry: string): Promise<string | undefined> {
    const num = entry.split(':')[1];
    return num ? ((await this.redis.hget(this.keys.of(generation).lineage(num), 'id')) ?? undefined) : undefined;
  }

  private checkVersion(stored: string): void {
    if (stored !== '' && stored !== this.version) {
      throw new ArtmetaError(
        'CATALOGUE_OUTDATED',
        `the lineage catalogue was built by matcher ${stored}, this worker runs ${this.version}: run \`artmeta catalogue rebuild\``,
      );
    }
  }
}

/**
 * A signature as the index and the result store keep it (base64). Its error names `image` (a job or a
 * rebuild may meet another image's signature): STALE_SIGNATURE for one stored by an older build, and
 * CATALOGUE_INCONSISTENT for stored bytes that do not decode, which no request sent (the codec's
 * INVALID_ARGUMENT would call it a bad input and fail the job for good).
 */
export function decodeStoredSignature(base64: Buffer | string, image: string): ImageSignature {
  try {
    return decodeSignature(Buffer.from(typeof base64 === 'string' ? base64 : base64.toString('latin1'), 'base64'));
  } catch (e) {
    if (!isArtmetaError(e)) throw e;
    throw new ArtmetaError(e.code === 'STALE_SIGNATURE' ? e.code : 'CATALOGUE_INCONSISTENT', `the stored signature of image ${image}: ${e.message}`, { cause: e });
  }
}

/** Decodes a representative's stored signature once per assignment: the same object for every attempt. */
type RepresentativeDecoder = (num: string, image: string, bytes: Buffer) => ImageSignature;

function representativeDecoder(): RepresentativeDecoder {
  const decoded = new Map<string, ImageSignature>();
  return (num, image, bytes) => {
    const key = `${num}:${image}`;
    let signature = decoded.get(key);
    if (!signature) {
      if (bytes.length === 0) throw new ArtmetaError('CATALOGUE_INCONSISTENT', `catalogue: representative ${image} of lineage ${num} has no signature to verify against`);
      decoded.set(key, (signature = decodeStoredSignature(bytes, image)));
    }
    return signature;
  };
}

function signatureBase64(signature: ImageSignature, encoded: Uint8Array | undefined): string {
  const bytes = encoded ?? encodeSignature(signature);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function parseCandidates(reply: Buffer[]): CandidateLineage[] {
  const out: CandidateLineage[] = [];
  for (let i = 0; i < reply.length; ) {
    const num = reply[i++]!.toString();
    i++; // id: not needed to decide
    const rev = reply[i++]!.toString();
    const shape = JSON.parse(reply[i++]!.toString()) as LineageShape;
    const reps = words(reply[i++]!);
    const slots = words(reply[i++]!).map(Number);
    const representatives = reps.map((image, k) => ({ image, slot: slots[k]!, signature: reply[i++]! }));
    out.push({ num, rev, shape, representatives });
  }
  return out;
}

function words(text: Buffer): string[] {
  return text
    .toString()
    .split(' ')
    .filter((w) => w.length > 0);
}
