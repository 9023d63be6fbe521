import { describe, expect, it } from 'vitest';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { bestJoin, decideJoin, startShape, SURE_JOIN_INDEX, type JoinDecision, type JoinRule, type LineageShape } from '../../analysis/lineage/lineage-join.ts';

/** Only the feature frame matters to the join besides the staged similarity. */
const frame = (name: string) => ({ contentHash: name, featureFrame: { width: 512, height: 288 } }) as unknown as ImageSignature;

describe('decideJoin', () => {
  const root = frame('root');
  const side = frame('side');
  const newcomer = frame('new');
  // side covers the right half of root's frame and became a representative.
  const shape: LineageShape = {
    ...startShape(root),
    representatives: [...startShape(root).representatives, { toRoot: [1, 0, 256, 0, 1, 0, 0, 0, 1], footprint: { x: 256, y: 0, w: 512, h: 288 } }],
  };
  const rule = (calls: string[]): JoinRule => ({
    threshold: 0.5,
    minSharedCore: 0.3,
    representatives: 4,
    similarity: (_a, b) => {
      calls.push(b.contentHash);
      return { index: 0.1 };
    },
  });

  it('verifies only the representatives the index voted for when it voted for any', () => {
    const calls: string[] = [];
    const decision = decideJoin(rule(calls), newcomer, shape, [
      { signature: root, voted: false },
      { signature: side, voted: true },
    ]);
    expect(decision).toBeUndefined();
    expect(calls).toEqual(['side']);
  });

  it('verifies the root when the index voted for no representative', () => {
    const calls: string[] = [];
    decideJoin(rule(calls), newcomer, shape, [
      { signature: root, voted: false },
      { signature: side, voted: false },
    ]);
    expect(calls).toEqual(['root']);
  });
});

describe('bestJoin', () => {
  const decision = (index: number): JoinDecision => ({ index, representative: false, shape: startShape({ featureFrame: { width: 8, height: 8 } } as unknown as ImageSignature) });

  it('takes a sure join at once and, short of one, the best-verified lineage (the first on a tie)', () => {
    const decided: string[] = [];
    const run = (indices: Record<string, number | undefined>) => {
      decided.length = 0;
      return bestJoin(Object.keys(indices), (l) => {
        decided.push(l);
        const index = indices[l];
        return index === undefined ? undefined : decision(index);
      })?.lineage;
    };
    expect(run({ a: SURE_JOIN_INDEX, b: 0.99 })).toBe('a');
    expect(decided).toEqual(['a']);
    expect(run({ a: 0.82, b: undefined, c: 0.85, d: 0.85 })).toBe('c');
    expect(decided).toEqual(['a', 'b', 'c', 'd']);
    expect(run({ a: undefined })).toBeUndefined();
  });
});
