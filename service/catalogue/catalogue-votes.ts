import { votesAboveChance } from '../../analysis/lineage/candidate-index.ts';
import { SLOT_BYTES } from './catalogue-keys.ts';

/*
 * The votes of a catalogue look-up (the buckets the reserve script returns), counted and ranked as the
 * in-memory CandidateIndex counts and ranks them, so a catalogue proposes the same candidates.
 */

/** One candidate slot's votes and rarity-weighted score. */
export interface VoteTally {
  votes: number;
  score: number;
}

/** An image's buckets as the look-up returns them (table-major): their contents back to back, and each one's length. */
export interface BucketContents {
  bytes: Buffer;
  lengths: readonly number[];
}

/**
 * The votes of CandidateIndex.query from the image's buckets (`tables` tables of equally many keys),
 * counting only the entries of slots below `below` (the image's own slot: the entries an image reserved
 * before it saw; a bucket's entries are in ascending slot order), for the slots with the votes a candidate
 * needs: `minVotes`, or more in an index of many images (votesAboveChance of the `below` images the
 * entries can be of, as CandidateIndex.query decides). A vote weighs 1/√(bucket size); the weights are
 * summed descriptor by descriptor, table by table, as CandidateIndex does, so the float sums — and the
 * ranking — are identical. Full buckets ("F") say nothing, nor does the bucket of a key the image repeats
 * in one table (the look-up returns it empty: NO_BUCKET_FIELD), so a shared bucket votes once per table,
 * as in CandidateIndex (distinctBucketKeys).
 *
 * The entries a look-up returns grow in proportion to the catalogue (an unrelated image shares a
 * look-up's buckets 0.151 times on average: ~15k entries at 100k images, ~30k at 200k), nearly all of
 * slots with one vote, so the cost per entry is what grows. Two passes over them with a counter per
 * slot addressed by the slot itself (slots are dense): the first counts, the second counts the votes and
 * sums the weights of the slots with the votes needed only, in CandidateIndex's order, and clears the
 * others' counters on the way. The hashed table of the slots seen it replaces was three-quarters of the
 * workers' growth from 10k to 100k images in a profile, and cost them 0.6–0.9 ms more per assignment at
 * 100k (bench:catalogue --filled, side by side; BENCHMARKS.md).
 */
export function voteTally({ bytes, lengths }: BucketContents, tables: number, below = Number.POSITIVE_INFINITY, minVotes = 1): Map<number, VoteTally> {
  const perTable = lengths.length / tables;
  const starts = new Int32Array(lengths.length);
  const ends = new Int32Array(lengths.length);
  const slotAt = (o: number) => bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16);
  let slots = 0;
  for (let k = 0; k < lengths.length; k++) {
    const start = k > 0 ? starts[k - 1]! + lengths[k - 1]! : 0;
    let end = start + lengths[k]! - (lengths[k]! % SLOT_BYTES);
    while (end - start >= SLOT_BYTES && slotAt(end - SLOT_BYTES) >= below) end -= SLOT_BYTES;
    starts[k] = start;
    ends[k] = end;
    // A bucket's last entry is its largest slot.
    if (end - start >= SLOT_BYTES) slots = Math.max(slots, slotAt(end - SLOT_BYTES) + 1);
  }
  // Slots below `below`: as many images as an in-memory index that added them in slot order holds.
  // (At least one vote: a cleared counter must never qualify.)
  const needed = Math.max(1, Number.isFinite(below) ? votesAboveChance(below, minVotes) : minVotes);
  const votes = voteCounters(slots);
  for (let k = 0; k < lengths.length; k++) {
    for (let o = starts[k]!, end = ends[k]!; o < end; o += SLOT_BYTES) {
      const slot = slotAt(o);
      if (votes[slot]! < SATURATED) votes[slot]!++;
    }
  }
  const tally = new Map<number, VoteTally>();
  for (let d = 0; d < perTable; d++) {
    for (let t = 0; t < tables; t++) {
      const k = t * perTable + d;
      const start = starts[k]!;
      const end = ends[k]!;
      if (end - start < SLOT_BYTES) continue;
      const weight = 1 / Math.sqrt((end - start) / SLOT_BYTES);
      for (let o = start; o < end; o += SLOT_BYTES) {
        const slot = slotAt(o);
        const count = votes[slot]!;
        if (count >= needed) {
          let entry = tally.get(slot);
          if (!entry) tally.set(slot, (entry = { votes: 0, score: 0 }));
          entry.votes++;
          entry.score += weight;
        } else if (count > 0) {
          votes[slot] = 0;
        }
      }
    }
  }
  for (const slot of tally.keys()) votes[slot] = 0;
  return tally;
}

/**
 * voteTally's first-pass counters, one byte per slot (2 MB at 2 M images: the fewer cache lines its random
 * increments touch, the cheaper), all zero between two tallies (a tally never awaits, so two never
 * overlap), grown to the largest slot seen. They stop at SATURATED, far above any vote count a candidate
 * needs (votesAboveChance: 9 at 2^24 images); the second pass counts a candidate's votes exactly.
 */
let counters = new Uint8Array(0);
const SATURATED = 255;

function voteCounters(slots: number): Uint8Array {
  if (counters.length < slots) {
    let size = Math.max(1024, counters.length);
    while (size < slots) size *= 2;
    counters = new Uint8Array(size);
  }
  return counters;
}

/** The bucket lengths of the look-up's reply (little-endian uint16, catalogue-scripts.ts). */
export function parseLengths(packed: Buffer): number[] {
  return Array.from({ length: packed.length / 2 }, (_, k) => packed.readUInt16LE(k * 2));
}

/** The `limit` slots with the highest score among those with at least `minVotes` votes, ties by votes then slot. */
export function rankVotes(votes: ReadonlyMap<number, VoteTally>, minVotes: number, limit: number): number[] {
  return [...votes]
    .filter(([, n]) => n.votes >= minVotes)
    .sort((p, q) => q[1].score - p[1].score || q[1].votes - p[1].votes || p[0] - q[0])
    .slice(0, limit)
    .map(([slot]) => slot);
}

/** The candidates of CandidateIndex.query from the image's buckets, one Buffer each, in an index of `images` images (see voteTally and rankVotes). */
export function topVoted(buckets: readonly Buffer[], tables: number, minVotes: number, limit: number, images: number): number[] {
  return rankVotes(voteTally({ bytes: Buffer.concat(buckets), lengths: buckets.map((b) => b.length) }, tables, images, minVotes), minVotes, limit);
}
