import { ArtmetaError } from '../../analysis/errors.ts';
import { REPEATED_KEY } from '../../analysis/lineage/candidate-index.ts';

/**
 * Where the lineage catalogue lives in Redis, all under the configured hash-tagged prefix (one
 * Cluster slot, so the Lua scripts may touch any of them). A rebuild writes a new generation beside
 * the current one and switches `<prefix>:cat:gen` to it, so readers never see a half-built index.
 *
 * - `<prefix>:cat:gen`                 current generation (absent = "0")
 * - `<prefix>:cat:rebuilding`          the generation a rebuild is filling, until it is published (deletes reach it too)
 * - `<g>:meta`                         hash: `version` (matcher), `slots` (images ever added, at most 2^24
 *                                      per generation: a rebuild numbers them afresh), `lineages` (numbers given)
 * - `<g>:lsh:<table>`                  hash: bucket key (3 bytes, little-endian) → packed little-endian 24-bit slots, or "F" once over the cap
 * - `<g>:slot`                         string: uint32 lineage number per slot (0 = image removed; a removed
 *                                      representative keeps its slot while its lineage lives; PENDING_SLOT = reserved)
 * - `<g>:pend`                         hash: the reservations of images being assigned (catalogue-scripts.ts):
 *                                      `i<image>` → slot, `s<slot>` → reservation time (ms)
 * - `<g>:img`                          hash: image hash → "<slot>:<lineage number>"
 * - `<g>:lin:<n>`                      hash: `id`, `rev` (bumped on every join), `shape` (JSON), `reps` (space-separated
 *                                      image hashes), `slots` (their slots, in the same order)
 * - `<g>:mem:<n>`                      set of member image hashes
 * - `<g>:ids`                          hash: lineage id → lineage number
 * - `<g>:sig:<n>:<image>`              base64 signature of one representative of lineage n, kept only when the
 *                                      result store does not hold it (`<prefix>:image:<image>`, field `signature`:
 *                                      the image was deleted, or the index is used without the store)
 *
 * where `<g>` is `<prefix>:cat:<generation>`.
 */
/** The lineage number of a slot reserved by an image whose assignment has not committed yet. */
export const PENDING_SLOT = 0xffffffff;

/** Bytes of a bucket key in a table's field name: keys below 2^24 - 1 (CandidateIndex uses 22 bits). */
const KEY_BYTES = 3;
/** Bytes of one bucket entry: a slot number, 2^24 slots per generation. */
export const SLOT_BYTES = 3;

/**
 * The packed field of a repeated key (REPEATED_KEY of LineageMatcher.candidateKeys): a key no table has,
 * that the look-up reads as an empty bucket and appends nothing to (catalogue-scripts.ts).
 */
export const NO_BUCKET_FIELD = 0xffffff;

/** An image's bucket keys (`keys[t]`, equally many per table) as the scripts take them: one packed argument. */
export function packBucketKeys(keys: readonly (readonly number[])[]): Buffer {
  const perTable = keys[0]?.length ?? 0;
  const out = Buffer.alloc(keys.length * perTable * KEY_BYTES);
  keys.forEach((table, t) => {
    if (table.length !== perTable) throw new ArtmetaError('INTERNAL', 'every hash table needs as many bucket keys');
    table.forEach((key, k) => out.writeUIntLE(key === REPEATED_KEY ? NO_BUCKET_FIELD : key, (t * perTable + k) * KEY_BYTES, KEY_BYTES));
  });
  return out;
}

export class CatalogueKeys {
  readonly base: string;

  constructor(prefix: string) {
    this.base = `${prefix}:cat`;
  }

  get generation(): string {
    return `${this.base}:gen`;
  }

  get rebuilding(): string {
    return `${this.base}:rebuilding`;
  }

  of(generation: string): GenerationKeys {
    return new GenerationKeys(`${this.base}:${generation}`);
  }
}

export class GenerationKeys {
  constructor(readonly root: string) {}

  get meta(): string {
    return `${this.root}:meta`;
  }

  get slots(): string {
    return `${this.root}:slot`;
  }

  get images(): string {
    return `${this.root}:img`;
  }

  get pending(): string {
    return `${this.root}:pend`;
  }

  get ids(): string {
    return `${this.root}:ids`;
  }

  table(t: number): string {
    return `${this.root}:lsh:${t}`;
  }

  lineage(num: number | string): string {
    return `${this.root}:lin:${num}`;
  }

  members(num: number | string): string {
    return `${this.root}:mem:${num}`;
  }

  signature(num: number | string, image: string): string {
    return `${this.root}:sig:${num}:${image}`;
  }
}
