import { readFileSync } from 'node:fs';
import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import { RatioTestMatcher } from '../../analysis/lineage/ratio-test-matcher.ts';

/**
 * The JavaScript scan the WebAssembly kernel replaced (SWAR popcount, early skip on the first half),
 * kept here as the reference: the kernel must give exactly its pairs.
 */
function referencePairs(da: Uint8Array, db: Uint8Array, ratio: number, maxDistance: number, ranges: Array<[number, number]>): Array<[number, number]> {
  const wa = new Int32Array(Uint8Array.from(da).buffer);
  const wb = new Int32Array(Uint8Array.from(db).buffer);
  const nb = db.length / 32;
  const taken = new Int32Array(nb).fill(-1);
  const takenDistance = new Int32Array(nb);
  const nibbleSums = (x: number, y: number) => {
    x -= (x >>> 1) & 0x55555555;
    y -= (y >>> 1) & 0x55555555;
    return (x & 0x33333333) + ((x >>> 2) & 0x33333333) + (y & 0x33333333) + ((y >>> 2) & 0x33333333);
  };
  const byteSums = (p: number, q: number) => (p & 0x0f0f0f0f) + ((p >>> 4) & 0x0f0f0f0f) + (q & 0x0f0f0f0f) + ((q >>> 4) & 0x0f0f0f0f);
  const total = (bytes: number) => Math.imul(bytes, 0x01010101) >>> 24;
  for (const [from, to] of ranges) {
    for (let i = from; i < to; i++) {
      let best = 257;
      let second = 257;
      let bestJ = -1;
      const a = wa.subarray(i * 8, i * 8 + 8);
      for (let j = 0; j < nb; j++) {
        const o = j * 8;
        const half = total(byteSums(nibbleSums(a[0]! ^ wb[o]!, a[1]! ^ wb[o + 1]!), nibbleSums(a[2]! ^ wb[o + 2]!, a[3]! ^ wb[o + 3]!)));
        if (half >= second) continue;
        const d = half + total(byteSums(nibbleSums(a[4]! ^ wb[o + 4]!, a[5]! ^ wb[o + 5]!), nibbleSums(a[6]! ^ wb[o + 6]!, a[7]! ^ wb[o + 7]!)));
        if (d < best) {
          second = best;
          best = d;
          bestJ = j;
        } else if (d < second) {
          second = d;
        }
      }
      if (bestJ < 0 || best > maxDistance || best >= ratio * second) continue;
      if (taken[bestJ]! >= 0 && takenDistance[bestJ]! <= best) continue;
      taken[bestJ] = i;
      takenDistance[bestJ] = best;
    }
  }
  const out: Array<[number, number]> = [];
  for (let j = 0; j < nb; j++) if (taken[j]! >= 0) out.push([taken[j]!, j]);
  return out;
}

function kernelPairs(da: Uint8Array, db: Uint8Array, ratio: number, maxDistance: number, ranges: Array<[number, number]>): Array<[number, number]> {
  const matcher = new RatioTestMatcher(da, db, ratio, maxDistance);
  for (const [from, to] of ranges) matcher.scan(from, to);
  return matcher.pairs();
}

/** Deterministic pseudo-random integers in [0, n). */
function generator(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * n);
  };
}

/** `count` descriptors, each a copy of one of `bases` with `flips(random)` bits flipped: controlled, often equal, distances. */
function family(bases: Uint8Array[], count: number, flips: number, random: (n: number) => number): Uint8Array {
  const out = new Uint8Array(count * 32);
  for (let k = 0; k < count; k++) {
    out.set(bases[random(bases.length)]!, k * 32);
    for (let f = random(flips + 1); f > 0; f--) {
      const bit = random(256);
      out[k * 32 + (bit >> 3)]! ^= 1 << (bit & 7);
    }
  }
  return out;
}

function randomBytes(length: number, random: (n: number) => number): Uint8Array {
  return Uint8Array.from({ length }, () => random(256));
}

const SETTINGS: Array<[ratio: number, maxDistance: number]> = [
  [0.9, 64],
  [0.8, 64],
  [0.5, 32],
  [1, 256],
  [0.9, 0],
  [1, 0],
];

function expectSamePairs(da: Uint8Array, db: Uint8Array, split: number, settings = SETTINGS): void {
  const rows = da.length / 32;
  for (const [ratio, maxDistance] of settings) {
    const whole: Array<[number, number]> = [[0, rows]];
    const halves: Array<[number, number]> = [[0, split], [split, rows]];
    expect(kernelPairs(da, db, ratio, maxDistance, whole)).toEqual(referencePairs(da, db, ratio, maxDistance, whole));
    expect(kernelPairs(da, db, ratio, maxDistance, halves)).toEqual(referencePairs(da, db, ratio, maxDistance, halves));
  }
}

describe('RatioTestMatcher', () => {
  it('gives the reference pairs on random descriptors, for every count of b modulo the block of four', () => {
    const random = generator(1);
    for (let trial = 0; trial < 40; trial++) {
      const rows = 1 + random(60);
      const nb = trial < 8 ? trial : 1 + random(70);
      expectSamePairs(randomBytes(rows * 32, random), randomBytes(nb * 32, random), random(rows + 1));
    }
  });

  it('gives the reference pairs on near copies, ties and equal distances', () => {
    const random = generator(2);
    for (let trial = 0; trial < 60; trial++) {
      const bases = Array.from({ length: 1 + random(6) }, () => randomBytes(32, random));
      const flips = [0, 1, 2, 8, 40][trial % 5]!;
      const rows = 1 + random(80);
      const nb = 1 + random(90);
      expectSamePairs(family(bases, rows, flips, random), family(bases, nb, flips, random), random(rows + 1));
    }
  });

  it('gives the reference pairs at the edges: all zero, complements, exactly maxDistance and the ratio', () => {
    const random = generator(3);
    const zeros = new Uint8Array(9 * 32);
    const ones = new Uint8Array(7 * 32).fill(0xff);
    expectSamePairs(zeros, zeros, 4);
    expectSamePairs(zeros, ones, 3);
    expectSamePairs(ones, Uint8Array.from([...zeros, ...ones]), 2);
    // Row 0 at exactly 32 and 64 bits from b's two (ratio 0.5: best ≥ 0.5 × second, not taken), row 1
    // at 64 and 65 (maxDistance 64 admits it at ratio 1 only if strictly closer: it is not, 64 ≥ 64).
    const withBits = (bits: number) => Uint8Array.from({ length: 32 }, (_, k) => (k < bits / 8 ? 0xff : 0));
    const b = Uint8Array.from([...withBits(32), ...withBits(64), ...withBits(0), ...withBits(0)]);
    const a = Uint8Array.from([...withBits(0), ...withBits(128), ...randomBytes(32, random)]);
    expectSamePairs(a, b.subarray(0, 64), 1);
    expectSamePairs(a, b, 2);
  });

  it('gives the reference pairs on descriptor counts as large as a signature’s', () => {
    const random = generator(4);
    const bases = Array.from({ length: 300 }, () => randomBytes(32, random));
    expectSamePairs(family(bases, 400, 30, random), family(bases, 397, 30, random), 200);
  });

  it('gives the reference pairs when the descriptors outgrow the kernel’s first page of memory', () => {
    const random = generator(5);
    const bases = Array.from({ length: 900 }, () => randomBytes(32, random));
    expectSamePairs(family(bases, 1200, 30, random), family(bases, 903, 30, random), 700, [[0.9, 64]]);
  });
});

describe('nearest-descriptors.wasm', () => {
  it('is what `npm run build:wasm` makes of the committed .wat', async () => {
    const source = (name: string) => new URL(`../../analysis/lineage/${name}`, import.meta.url);
    const wabt = await wabtInit();
    const module = wabt.parseWat('nearest-descriptors.wat', readFileSync(source('nearest-descriptors.wat'), 'utf8'), { simd: true });
    try {
      expect(Buffer.from(module.toBinary({}).buffer).equals(readFileSync(source('nearest-descriptors.wasm')))).toBe(true);
    } finally {
      module.destroy();
    }
  });
});
