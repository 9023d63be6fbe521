import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ArtmetaError } from '../../analysis/errors.ts';

/**
 * A job's data as its schema says, or INVALID_ARGUMENT naming the first field that is not: the
 * job fails at once with that code instead of crashing further on (INTERNAL, retried for nothing).
 */
export function checkJobData<T>(schema: TSchema, data: unknown, queue: string): T {
  const problem = Value.Errors(schema, data).First();
  if (problem) throw new ArtmetaError('INVALID_ARGUMENT', `not ${queue} job data this worker reads: ${problem.path || '/'} ${problem.message}`);
  return data as T;
}
