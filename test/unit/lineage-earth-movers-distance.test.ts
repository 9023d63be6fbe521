import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { earthMoversDistance } from '../../analysis/lineage/earth-movers-distance.ts';

const line = (xs: number[], ys: number[]) => (i: number, j: number) => Math.abs(xs[i]! - ys[j]!);

describe('earthMoversDistance', () => {
  it('moves mass the shortest total way', () => {
    // Half the mass must move from 1 to 0.
    expect(earthMoversDistance([0.5, 0.5], [1], line([0, 1], [0]))).toBeCloseTo(0.5, 9);
    // A shift by one unit of three equal masses costs one unit.
    expect(earthMoversDistance([1, 1, 1], [1, 1, 1], line([0, 1, 2], [1, 2, 3]))).toBeCloseTo(1, 9);
    // Greedy nearest-first would pay more: the optimum crosses over.
    expect(earthMoversDistance([1, 1], [1, 1], line([0, 2], [1, 3]))).toBeCloseTo(1, 9);
  });

  it('equals the sorted-quantile distance in one dimension', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 7 }), fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 7 }), (a, b) => {
        // Equal-size point sets with unit masses: the 1-D optimum pairs them in sorted order.
        const n = Math.min(a.length, b.length);
        const xs = a.slice(0, n).sort((p, q) => p - q);
        const ys = b.slice(0, n).sort((p, q) => p - q);
        const expected = xs.reduce((s, x, i) => s + Math.abs(x - ys[i]!), 0) / n;
        const ones = new Array<number>(n).fill(1);
        expect(earthMoversDistance(ones, ones, line(xs, [...ys].reverse()))).toBeCloseTo(expected, 6);
      }),
    );
  });

  it('is zero between identical distributions', () => {
    expect(earthMoversDistance([0.2, 0.8], [0.2, 0.8], line([3, 7], [3, 7]))).toBeCloseTo(0, 12);
  });
});
