import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { Type } from '@sinclair/typebox';
import { ArtmetaError } from '../analysis/errors.ts';

export const UrlBodySchema = Type.Object({ url: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false });

/** What a request carries as its image: uploaded bytes, or a URL to fetch. */
export type RequestImage = { bytes: Buffer } | { url: string };

/**
 * Reads the image of an upload request: multipart files (field name free), a raw image body
 * (`Content-Type: image/*` or `application/octet-stream`), or JSON `{ "url": … }`. Size limits are
 * enforced while reading (413).
 */
export async function* requestImages(request: FastifyRequest): AsyncGenerator<RequestImage> {
  if (request.isMultipart()) {
    yield* multipartImages(request);
    return;
  }
  if (Buffer.isBuffer(request.body)) {
    yield { bytes: request.body };
    return;
  }
  if (typeof request.body === 'string') {
    throw new ArtmetaError('UNSUPPORTED_FORMAT', `a ${request.headers['content-type'] ?? 'text'} body is not an image`);
  }
  if (Value.Check(UrlBodySchema, request.body)) {
    yield { url: request.body.url };
    return;
  }
  throw new ArtmetaError('INVALID_ARGUMENT', 'send the image as multipart/form-data, as an image/* body, or JSON {"url": "…"}');
}

async function* multipartImages(request: FastifyRequest): AsyncGenerator<RequestImage> {
  try {
    for await (const part of request.files()) {
      const bytes = await part.toBuffer();
      // toBuffer misses the limit when it falls exactly at the end of a chunk, and the request's
      // own error only surfaces if every part is read: a single-image route stops before that.
      if (part.file.truncated) throw new ArtmetaError('INPUT_TOO_LARGE', `${part.filename || 'an uploaded file'} is over the upload limit (ARTMETA_UPLOAD_MAX_BYTES)`);
      yield { bytes };
    }
  } catch (e) {
    throw unreadableMultipart(e);
  }
}

/**
 * The parser's own failures (no boundary, a body cut short, a malformed part header) carry no HTTP
 * status and would answer 500 INTERNAL: they are the request's fault, 400. Errors with a status
 * (the size limits' 413) and artmeta's own keep theirs.
 */
function unreadableMultipart(e: unknown): unknown {
  if (e instanceof ArtmetaError || (e as { statusCode?: number }).statusCode !== undefined) return e;
  return new ArtmetaError('INVALID_ARGUMENT', `unreadable multipart/form-data body: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

export async function singleRequestImage(request: FastifyRequest): Promise<RequestImage> {
  for await (const image of requestImages(request)) return image;
  throw new ArtmetaError('EMPTY_INPUT', 'the request holds no image');
}
