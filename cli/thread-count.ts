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
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}
