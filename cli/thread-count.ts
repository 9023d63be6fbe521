import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';

/**
 * Worker threads for a batch: as asked, else one per core, and never more than there are files.
 * Each thread holds its own OpenCV and face network (~150 MB), so one per file would exhaust memory
 * on a large folder.
 */
export function analysisThreads(files: number, requested?: number): number {
  return Math.max(1, Math.min(requested ?? availableParallelism(), files));
}

/** Commander parser of `--threads` and the like. */
export function positiveInteger(value: string): number {
  return wholeNumberFrom(1)(value);
}

/** Commander parser of a count that may be 0 (`--verify-threads 0`: none). */
export function nonNegativeInteger(value: string): number {
  return wholeNumberFrom(0)(value);
}

/**
 * Digits only, as the ARTMETA_* variables take them: `Number` alone would read `1e3`, `0x10` or ` 5 `
 * as numbers, so a flag would take what its environment variable refuses.
 */
function wholeNumberFrom(least: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < least) throw new InvalidArgumentError(`must be a whole number in digits, ${least} or more`);
    return n;
  };
}
