import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../analysis/errors.ts';
import { API_ERROR_CODES } from '../../api/api-error.ts';
import { isTransientFailure, parseJobFailure, toJobFailure } from '../../service/queue/job-failure.ts';
import { ArtmetaError } from '../../analysis/errors.ts';
import { UnrecoverableError } from 'bullmq';

const repo = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, repo), 'utf8');
const codes: Record<string, number> = { ...ERROR_CODES, ...API_ERROR_CODES };

describe('stable error codes', () => {
  it("are each in README's table with their HTTP status, and named in docs/deployment.md (UNAVAILABLE, UNAUTHORIZED and INVALID_SIGNATURE were missing from the table)", () => {
    const readme = read('README.md');
    const deployment = read('docs/deployment.md');
    for (const [code, status] of Object.entries(codes)) {
      expect(readme, code).toMatch(new RegExp(`^\\| \`${code}\` \\| .* \\| ${status} \\|$`, 'm'));
      expect(deployment, code).toContain(`\`${code}\``);
    }
  });

  it('reach a failed job in front of its message and back, retried when the catalogue or Redis is at fault, not when the input is', () => {
    for (const code of Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[]) {
      const failure = toJobFailure(new ArtmetaError(code, 'why'));
      expect(parseJobFailure(failure.message)).toEqual({ code, message: 'why' });
      expect(failure instanceof UnrecoverableError, code).toBe(!isTransientFailure(code));
    }
    // A catalogue to rebuild or repair was INTERNAL, retried; with codes of their own they still are.
    for (const code of ['CATALOGUE_OUTDATED', 'CATALOGUE_INCONSISTENT', 'UNAVAILABLE', 'SOURCE_UNAVAILABLE', 'INTERNAL']) expect(isTransientFailure(code), code).toBe(true);
    for (const code of ['INVALID_ARGUMENT', 'STALE_SIGNATURE', 'CORRUPT_IMAGE', 'NOT_FOUND']) expect(isTransientFailure(code), code).toBe(false);
  });
});
