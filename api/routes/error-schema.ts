import { Type } from '@sinclair/typebox';
import { namedRef } from '../route-schema.ts';

export const ErrorBodySchema = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { $id: 'ErrorBody', description: 'Every error: a stable code and a message' },
);

/** What each error status means, by the stable codes it carries (README's table). */
const ERROR_STATUSES = {
  400: 'INVALID_ARGUMENT: a parameter, option or body that does not make sense',
  401: 'UNAUTHORIZED: no API key, or one that is not configured',
  403: 'INVALID_SIGNATURE: the URL is not signed, its signature does not match, or ARTMETA_RENDER_KEY is not set',
  404: 'NOT_FOUND: no such image, job, lineage or file',
  413: 'INPUT_TOO_LARGE (more bytes than allowed: an upload over ARTMETA_UPLOAD_MAX_BYTES, a JSON body over 1 MiB) or PIXEL_LIMIT (more pixels than ARTMETA_MAX_PIXELS)',
  415: 'UNSUPPORTED_FORMAT: not an image format artmeta reads, or a body of a media type the route does not take',
  422: 'EMPTY_INPUT or CORRUPT_IMAGE: no bytes, or damaged image data',
  500: 'INTERNAL (a fault artmeta should not have: please report) or CATALOGUE_INCONSISTENT (the lineage catalogue in Redis contradicts itself: `artmeta catalogue check` names it)',
  502: 'SOURCE_UNAVAILABLE: a url source failed, answered 5xx or timed out; worth retrying',
  503: 'UNAVAILABLE (Redis cannot be reached right now: try again) or CATALOGUE_OUTDATED (the lineage catalogue was built by another matcher or layout: `artmeta catalogue rebuild`)',
} as const;

export type ErrorStatus = keyof typeof ERROR_STATUSES;

/** OpenAPI responses for these error statuses, each a reference to the named ErrorBody schema. */
export function errorResponses(...statuses: ErrorStatus[]): Partial<Record<ErrorStatus, ReturnType<typeof namedRef<typeof ErrorBodySchema>>>> {
  return Object.fromEntries(statuses.map((status) => [status, namedRef(ErrorBodySchema, ERROR_STATUSES[status])]));
}

/** The error answers every authenticated route may give. */
export const COMMON_ERRORS = errorResponses(400, 401, 500, 503);
