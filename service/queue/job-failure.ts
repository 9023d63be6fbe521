import { UnrecoverableError } from 'bullmq';
import { describeError, type ErrorCode } from '../../analysis/errors.ts';

/**
 * Codes worth another attempt: the source, the machine, Redis or the catalogue failed, not the image
 * (a catalogue rebuilt or repaired takes the image again when it is submitted again).
 */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['SOURCE_UNAVAILABLE', 'INTERNAL', 'UNAVAILABLE', 'TIMED_OUT', 'CATALOGUE_OUTDATED', 'CATALOGUE_INCONSISTENT']);

/**
 * The error a job fails with. BullMQ keeps only the message, so the stable code goes in front of
 * it (`CORRUPT_IMAGE: image data is damaged…`) and `parseJobFailure` reads it back. Bad input fails
 * at once (UnrecoverableError skips the remaining attempts); transient faults are retried.
 */
export function toJobFailure(thrown: unknown): Error {
  const { code, message } = describeError(thrown);
  const text = `${code}: ${message}`;
  return RETRYABLE.has(code) ? new Error(text) : new UnrecoverableError(text);
}

/** Whether a failure with this code may go away on its own (so a new submission should retry it). */
export function isTransientFailure(code: string): boolean {
  return RETRYABLE.has(code as ErrorCode);
}

export function parseJobFailure(failedReason: string | undefined): { code: string; message: string } {
  const match = /^([A-Z][A-Z_]+): ([\s\S]*)$/.exec(failedReason ?? '');
  if (match?.[1] && match[2] !== undefined) return { code: match[1], message: match[2] };
  return { code: 'INTERNAL', message: failedReason || 'job failed' };
}
