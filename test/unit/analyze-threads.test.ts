import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { analysisThreads } from '../../cli/thread-count.ts';

describe('artmeta analyze worker threads', () => {
  it('uses one per core for a large folder, not one per file', () => {
    expect(analysisThreads(5000)).toBe(availableParallelism());
  });

  it('uses no more threads than files, and at least one', () => {
    expect(analysisThreads(1)).toBe(1);
    expect(analysisThreads(0)).toBe(1);
    expect(analysisThreads(3, 8)).toBe(3);
  });

  it('uses as many as asked when there are files enough', () => {
    expect(analysisThreads(100, 6)).toBe(6);
  });
});
