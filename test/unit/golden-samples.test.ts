import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GOLDEN_FILE, type GoldenAnalysis, goldenOutput } from '../golden/samples-golden.ts';

/** Pixels a box edge or point may move, and interest scores, before the golden output must be updated. */
const PIXEL_TOLERANCE = 3;
const SCORE_TOLERANCE = 0.02;

/**
 * Numbers compared within a tolerance (pixels, or scores for `score` keys), everything else exactly:
 * a tuning change that moves a box by more, or adds or drops a person, fails here until
 * `npm run golden:update` is run and its diff reviewed.
 */
function expectClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number') {
    const tolerance = path.endsWith('.score') ? SCORE_TOLERANCE : PIXEL_TOLERANCE;
    expect(Math.abs((actual as number) - expected), `${path}: ${String(actual)} vs golden ${expected}`).toBeLessThanOrEqual(tolerance);
  } else if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

describe('golden output of artmeta analyze samples/ (npm run golden:update to accept a change)', () => {
  it('gives every sample the focal point, people, crops and keep-list on record', async () => {
    const golden = JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as Record<string, GoldenAnalysis>;
    expectClose(await goldenOutput(), golden, 'samples');
  }, 60_000);
});
