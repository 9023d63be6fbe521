import { descriptorWords, WORDS_PER_DESCRIPTOR } from './hamming.ts';
import type { ImageSignature } from './image-signature.ts';

export interface CandidateIndexOptions {
  /** Hash tables; more find more true candidates at a higher memory cost. Default 4. */
  tables?: number;
  /** Descriptor bits per bucket key; more keep buckets short (fewer random votes to walk) in a large index. Default 22. */
  bitsPerKey?: number;
  /**
   * Keypoints of each image that are indexed (the first ones: spread over the picture, strongest first).
   * Default 400, all of them: two crops that share a quarter of the picture share only ~40 matching
   * keypoints, each of which lands in the same bucket of one of 4 tables with a chance of ~15% after a
   * strong grade — 150 indexed keypoints left such pairs with 3 votes. A query votes with all its
   * keypoints.
   */
  indexedFeatures?: number;
  /**
   * Buckets holding more entries than this are ignored when voting: like stop words they say little,
   * and skipping them bounds the work of a query whatever the size of the index (bucket lengths grow
   * with the catalogue; without a cap, voting would grow with it and the whole run quadratically).
   * Default 512.
   */
  maxBucketSize?: number;
}

export interface Candidate {
  /** Dense number the image got when it was added. */
  slot: number;
  /** Buckets shared with the query (a bucket counts once per table: see distinctBucketKeys). */
  votes: number;
  /** The votes weighted by the rarity of their buckets (see `query`); candidates are ranked by it. */
  score: number;
}

/**
 * Ints per bucket block: a link to the bucket's older block and BLOCK_ENTRIES slots, 32 bytes, so a
 * block lies in one cache line. Walking the buckets is memory-bound: entries of one bucket added at
 * different times lay scattered, and in a linked list of single entries each one cost a cache miss
 * (8 bytes per entry); at 100k images a query walks ~20k entries. Blocks cut the misses ~7×, at
 * 32 bytes per block (partly filled blocks included: more than 8 bytes per entry in a small index,
 * about as much in a large one). The order of the walk does not change the votes nor, as a slot's
 * weights are still added descriptor by descriptor, table by table, their float sums.
 */
const BLOCK_INTS = 8;
const BLOCK_ENTRIES = BLOCK_INTS - 1;

export const CANDIDATE_INDEX_DEFAULTS: Required<CandidateIndexOptions> = { tables: 4, bitsPerKey: 22, indexedFeatures: 400, maxBucketSize: 512 };

/**
 * Images that chance alone may bring over the votes a candidate needs, at most (see votesAboveChance).
 * One: an image with no sibling in the index then verifies ~one unrelated candidate, not six.
 */
export const CHANCE_CANDIDATES = 1;

/**
 * S(k), k = 0, 1, …: the share of unrelated (query, indexed image) pairs that share at least k of the
 * query's buckets, for the default keys (4 tables × 22 bits, 400 indexed descriptors, a bucket counted
 * once per table: distinctBucketKeys). Measured, not modelled: `npx tsx scripts/fit-chance-votes.ts` on
 * the synthetic catalogue of bench:catalogue made from `npm run synth:lineages` (seed 20261206: photos of
 * Debian packages, never the validation set), 50,000 images indexed and 4,000 queries (2·10^8 pairs; the
 * same within noise at 10,000, so a tail per pair whatever the index's size). The mean (0.151) is about
 * the uniform-keys Poisson rate (0.153), but the tail is not: votes come in clumps (a cluster of like
 * descriptors in one picture meets one in another), 1.8× the Poisson tail at 4 votes, 3× at 5, 12× at 6
 * — the Poisson model raised the votes needed too late (0.6–1.1 unrelated candidates verified per image
 * in bench:catalogue from 20k to 50k images). Counting every pair of repeated keys, as the index did
 * before distinctBucketKeys, the clumps were 2.4–8.4× heavier at 4–6 votes (8.5e-5, 9.2e-6, 1.6e-6): a
 * candidate needed a vote more from 11,765 to 28,571 images and beyond 108,695, where siblings lose more.
 * The table ends at 8 votes (15 pairs had 8 or more); beyond, it falls by CHANCE_TAIL_FALL per vote, about
 * the measured ratios of 8–12 votes (0.47–1.0, few pairs): a tail falling too slowly asks a vote too many,
 * one falling too fast lets chance candidates back.
 */
export const CHANCE_VOTE_TAIL: readonly number[] = [1, 0.14, 0.011, 6.7e-4, 3.5e-5, 1.9e-6, 1.9e-7, 9.0e-8, 7.5e-8];
const CHANCE_TAIL_FALL = 0.7;

/**
 * The votes a candidate needs in an index of `images` images: `minVotes`, or more where chance alone
 * would give more than CHANCE_CANDIDATES unrelated images that many (images × S(k), S the share of
 * unrelated images with at least k votes): otherwise the images over a fixed minVotes by chance grow in
 * proportion to the index, each a verification for an image with no sibling yet, and the one
 * verification that matters loses its rank among them anyway. For the default keys S is the measured
 * CHANCE_VOTE_TAIL: 3 votes up to 1,492 images, 4 up to 28,571, 5 up to 526,315, 6 up to ~5.3 M — a
 * small index (the fitting and validation sets) keeps minVotes. Other keys (diagnosis runs)
 * keep the uniform-keys Poisson tail of rate tables × indexed² / 2^bits. A function of the index's size
 * alone, not of the look-up's buckets: a textured picture's crowded buckets would raise the bar for the
 * sibling it shares rare ones with (their rarity weight ranks it, see `query`). One rule for
 * CandidateIndex.query and the catalogue's tally (service/catalogue), from the same count, so both find
 * the same candidates.
 */
export function votesAboveChance(images: number, minVotes: number, options: Required<CandidateIndexOptions> = CANDIDATE_INDEX_DEFAULTS): number {
  const tail = chanceTail(options);
  let votes = minVotes;
  while (images * tail(votes) > CHANCE_CANDIDATES) votes++;
  return votes;
}

/** S(k) of votesAboveChance for an index's keys. */
function chanceTail(options: Required<CandidateIndexOptions>): (votes: number) => number {
  const defaultKeys = (['tables', 'bitsPerKey', 'indexedFeatures'] as const).every((k) => options[k] === CANDIDATE_INDEX_DEFAULTS[k]);
  if (defaultKeys) {
    const last = CHANCE_VOTE_TAIL.length - 1;
    return (votes) => (votes <= last ? CHANCE_VOTE_TAIL[votes]! : CHANCE_VOTE_TAIL[last]! * CHANCE_TAIL_FALL ** (votes - last));
  }
  const rate = (options.tables * options.indexedFeatures ** 2) / 2 ** options.bitsPerKey;
  return (votes) => {
    // P(X ≥ votes) of X ~ Poisson(rate).
    let term = Math.exp(-rate);
    let below = 0;
    for (let k = 0; k < votes; k++) {
      below += term;
      term *= rate / (k + 1);
    }
    return 1 - below;
  };
}

/** The descriptor bits each hash table samples: fixed (seeded), so every process keys descriptors alike. */
export function tableBits(tables: number, bitsPerKey: number): Int32Array[] {
  const out: Int32Array[] = [];
  let seed = 0x2545f491;
  for (let t = 0; t < tables; t++) {
    const picked = new Set<number>();
    while (picked.size < bitsPerKey) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      picked.add((seed >>> 8) % (WORDS_PER_DESCRIPTOR * 32));
    }
    out.push(Int32Array.from([...picked].sort((a, b) => a - b)));
  }
  return out;
}

/** Bucket key of descriptor `d` (of `words`, see descriptorWords) in the table sampling `bits`. */
function bucketKey(bits: Int32Array, words: Int32Array, d: number): number {
  const base = d * WORDS_PER_DESCRIPTOR;
  let key = 0;
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]!;
    key = (key << 1) | ((words[base + (b >>> 5)]! >>> (b & 31)) & 1);
  }
  return key;
}

/** Where distinctBucketKeys marks a key an earlier descriptor of the image has in the same table. */
export const REPEATED_KEY = -1;

/**
 * `keys[t][d]`: the bucket key of descriptor d (of the first `count` of `words`) in table t, or
 * REPEATED_KEY where an earlier descriptor has that key in that table: an image is in a bucket once, and
 * a bucket it shares with the query votes once per table. Like descriptors of one flat or textured
 * area share keys (17 of an image's 1,600 on synth:lineages), and a bucket shared m times by one
 * image and n times by the other gave m × n votes: clumps of chance votes for unrelated pictures of a
 * like texture (at 5 votes 8.7e-6 of unrelated pairs, 1.9e-6 counted once; a sibling's median 15 → 14
 * votes; scripts/fit-chance-votes.ts). Marked in place, not dropped, so the votes are still summed
 * descriptor by descriptor, table by table, by CandidateIndex and the catalogue alike.
 */
export function distinctBucketKeys(bits: readonly Int32Array[], words: Int32Array, count: number): Int32Array[] {
  return bits.map((tableBitsOf) => {
    const keys = new Int32Array(count);
    const seen = new Set<number>();
    for (let d = 0; d < count; d++) {
      const key = bucketKey(tableBitsOf, words, d);
      keys[d] = seen.has(key) ? REPEATED_KEY : key;
      seen.add(key);
    }
    return keys;
  });
}

/**
 * Inverted index over ORB descriptors by locality-sensitive hashing (bit sampling): each table keys a
 * descriptor by a fixed random subset of its bits, so two descriptors of the same physical point (a few
 * dozen bits apart) often share a bucket. A query votes for the images in its buckets and only the most
 * voted are verified — no comparison against every image. Buckets are chains of fixed-size blocks in
 * one growable typed array, no per-bucket objects (see BLOCK_INTS).
 */
export class CandidateIndex {
  private readonly opts: Required<CandidateIndexOptions>;
  private readonly bits: Int32Array[];
  private readonly heads: Int32Array[];
  private readonly sizes: Int32Array[];
  /** Blocks of BLOCK_INTS: [older block of the same bucket or -1, up to BLOCK_ENTRIES slots]. */
  private blocks = new Int32Array(BLOCK_INTS << 14);
  private blockCount = 0;
  private slots = 0;
  private votes = new Int32Array(1024);
  private scores = new Float64Array(1024);
  /** Which query last touched each slot's vote counter, so counters need no clearing between queries. */
  private lastVoter = new Int32Array(1024);
  private queries = 0;

  constructor(options: CandidateIndexOptions = {}) {
    this.opts = { ...CANDIDATE_INDEX_DEFAULTS, ...options };
    this.bits = tableBits(this.opts.tables, this.opts.bitsPerKey);
    this.heads = this.bits.map(() => new Int32Array(1 << this.opts.bitsPerKey).fill(-1));
    this.sizes = this.bits.map(() => new Int32Array(1 << this.opts.bitsPerKey));
  }

  /** Number of images added. */
  get size(): number {
    return this.slots;
  }

  /** Indexes an image; returns its slot (0, 1, 2… in order of addition). */
  add(signature: ImageSignature): number {
    const slot = this.slots++;
    const words = descriptorWords(signature.features.descriptors);
    const keys = distinctBucketKeys(this.bits, words, Math.min(this.opts.indexedFeatures, words.length / WORDS_PER_DESCRIPTOR));
    keys.forEach((table, t) => table.forEach((key) => key !== REPEATED_KEY && this.push(t, key, slot)));
    return slot;
  }

  /**
   * The `limit` images with the highest score among those with at least `minVotes` votes, ties by
   * slot. A vote counts 1/√(bucket size): descriptors of texture (foliage, water, stone) and of flat
   * posterized or painted areas fall into crowded buckets and give every picture of that texture a
   * dozen votes, while the keypoints two crops of one photo share land in rare ones. On synth:lineages
   * the rarity weight lifts pairwise recall 0.919 → 0.938 with fewer verifications (1.99 → 1.92 per
   * image); 1/size weighs too little on evidence from mid-sized buckets (0.931), log(N/size) too much
   * on a few rare ones (0.923).
   */
  query(signature: ImageSignature, limit: number, minVotes = 2): Candidate[] {
    this.ensureVoteCapacity();
    const voter = ++this.queries;
    const touched: number[] = [];
    const words = descriptorWords(signature.features.descriptors);
    const count = words.length / WORDS_PER_DESCRIPTOR;
    const keys = distinctBucketKeys(this.bits, words, count);
    for (let d = 0; d < count; d++) {
      for (let t = 0; t < this.opts.tables; t++) {
        const key = keys[t]![d]!;
        if (key === REPEATED_KEY) continue;
        const size = this.sizes[t]![key]!;
        if (size === 0 || size > this.opts.maxBucketSize) continue;
        const weight = 1 / Math.sqrt(size);
        // The newest block holds the entries past the last full one; every older block is full.
        let filled = ((size - 1) % BLOCK_ENTRIES) + 1;
        for (let b = this.heads[t]![key]!; b >= 0; b = this.blocks[b]!, filled = BLOCK_ENTRIES) {
          for (let e = b + 1; e <= b + filled; e++) {
            const slot = this.blocks[e]!;
            if (this.lastVoter[slot] !== voter) {
              this.lastVoter[slot] = voter;
              this.votes[slot] = 0;
              this.scores[slot] = 0;
              touched.push(slot);
            }
            this.votes[slot]!++;
            this.scores[slot]! += weight;
          }
        }
      }
    }
    const needed = votesAboveChance(this.slots, minVotes, this.opts);
    const out = touched.filter((s) => this.votes[s]! >= needed).map((slot) => ({ slot, votes: this.votes[slot]!, score: this.scores[slot]! }));
    out.sort((p, q) => q.score - p.score || q.votes - p.votes || p.slot - q.slot);
    return out.slice(0, limit);
  }

  private push(table: number, key: number, slot: number): void {
    const size = this.sizes[table]![key]!++;
    const within = size % BLOCK_ENTRIES;
    if (within === 0) {
      if ((this.blockCount + 1) * BLOCK_INTS > this.blocks.length) this.blocks = grow(this.blocks);
      const b = this.blockCount++ * BLOCK_INTS;
      this.blocks[b] = this.heads[table]![key]!;
      this.heads[table]![key] = b;
    }
    this.blocks[this.heads[table]![key]! + 1 + within] = slot;
  }

  private ensureVoteCapacity(): void {
    if (this.votes.length > this.slots) return;
    this.votes = grow(this.votes);
    const scores = new Float64Array(this.scores.length * 2);
    scores.set(this.scores);
    this.scores = scores;
    this.lastVoter = grow(this.lastVoter);
  }
}

function grow(array: Int32Array): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}
