import { readFileSync } from 'node:fs';

const DESCRIPTOR_BYTES = 32;
/** b's descriptors are compared four at a time: stored padded to a multiple of this. */
const BLOCK = 4;
const WASM_PAGE_BYTES = 65536;

interface NearestDescriptorsKernel {
  memory: WebAssembly.Memory;
  /** See nearest-descriptors.wat: best | second << 9 | bestJ << 18. */
  nearest(row: number, b: number, count: number): number;
}

/**
 * The distance loop in WebAssembly SIMD (i8x16.popcnt), ~4× less CPU than the SWAR popcount in
 * JavaScript it replaced and giving the same pairs (test/unit/lineage-ratio-test-matcher.test.ts).
 * Compiled synchronously from the committed .wasm at module load, once per thread: the analysis path
 * stays synchronous and needs no build tool at run time.
 */
const kernel = new WebAssembly.Instance(
  new WebAssembly.Module(readFileSync(new URL('./nearest-descriptors.wasm', import.meta.url))),
).exports as unknown as NearestDescriptorsKernel;

/**
 * Ratio-test matching of a's descriptors (rows) against all of b's, a range of rows at a time: scanning
 * 0..k then k..n gives exactly the pairs of scanning 0..n. Pairs [row of a, keypoint of b] whose best
 * match is clearly better than the second best.
 */
export class RatioTestMatcher {
  readonly rows: number;
  private readonly nb: number;
  /** For each keypoint of b, the row of a matched to it (-1: none) and their distance. */
  private readonly taken: Int32Array;
  private readonly takenDistance: Int32Array;

  constructor(
    private readonly da: Uint8Array,
    private readonly db: Uint8Array,
    private readonly ratio: number,
    private readonly maxDistance: number,
  ) {
    this.rows = da.length / DESCRIPTOR_BYTES;
    this.nb = db.length / DESCRIPTOR_BYTES;
    this.taken = new Int32Array(this.nb).fill(-1);
    this.takenDistance = new Int32Array(this.nb);
  }

  scan(from: number, to: number): void {
    const { nb, taken, takenDistance } = this;
    // The kernel's memory is the thread's: filled on every scan, so that matchers may interleave.
    const rowsAt = Math.ceil(nb / BLOCK) * BLOCK * DESCRIPTOR_BYTES;
    const memory = kernelMemory(rowsAt + (to - from) * DESCRIPTOR_BYTES);
    memory.set(this.db, 0);
    memory.set(this.da.subarray(from * DESCRIPTOR_BYTES, to * DESCRIPTOR_BYTES), rowsAt);
    for (let i = from; i < to; i++) {
      const found = kernel.nearest(rowsAt + (i - from) * DESCRIPTOR_BYTES, 0, nb);
      const best = found & 511;
      const second = (found >> 9) & 511;
      const bestJ = found >> 18;
      if (bestJ < 0 || best > this.maxDistance || best >= this.ratio * second) continue;
      // One keypoint of b matched by several of a: keep the closest, as cross-checking would.
      if (taken[bestJ]! >= 0 && takenDistance[bestJ]! <= best) continue;
      taken[bestJ] = i;
      takenDistance[bestJ] = best;
    }
  }

  /** The pairs so far, ordered by keypoint of b. */
  pairs(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let j = 0; j < this.nb; j++) if (this.taken[j]! >= 0) out.push([this.taken[j]!, j]);
    return out;
  }
}

/** The kernel's memory as bytes, grown to at least `bytes`. */
function kernelMemory(bytes: number): Uint8Array {
  const short = bytes - kernel.memory.buffer.byteLength;
  if (short > 0) kernel.memory.grow(Math.ceil(short / WASM_PAGE_BYTES));
  return new Uint8Array(kernel.memory.buffer);
}
