import { ERROR_CODES, isArtmetaError } from '../analysis/errors.ts';
import { isRedisConnectionError } from '../service/queue/redis-connection.ts';

/** Codes only the HTTP layer produces, next to the analysis codes of analysis/errors.ts. */
export const API_ERROR_CODES = {
  /** No API key, or one that is not configured. */
  UNAUTHORIZED: 401,
  /** A /render URL without a signature, or one that does not match (or rendering is not configured). */
  INVALID_SIGNATURE: 403,
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/** An error the API answers with as is: `{ error: { code, message } }` and the code's status. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return API_ERROR_CODES[this.code];
  }
}

/** Status and body for anything thrown while handling a request. */
export function errorResponse(e: unknown, redisReady: boolean): { status: number; code: string; message: string } {
  if (e instanceof ApiError || isArtmetaError(e)) {
    return { status: e instanceof ApiError ? e.status : ERROR_CODES[e.code], code: e.code, message: e.message };
  }
  const error = e as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  const message = error.message ?? String(e);
  if (error.validation) return { status: 400, code: 'INVALID_ARGUMENT', message };
  if (error.statusCode === 413) return { status: 413, code: 'INPUT_TOO_LARGE', message };
  if (error.statusCode === 415) return { status: 415, code: 'UNSUPPORTED_FORMAT', message };
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return { status: 400, code: 'INVALID_ARGUMENT', message };
  }
  // Redis commands fail fast while it is down (no offline queue): that is "try again", not a bug.
  if (!redisReady || isRedisConnectionError(e)) return { status: 503, code: 'UNAVAILABLE', message: `Redis is not reachable: ${message}` };
  return { status: 500, code: 'INTERNAL', message };
}
