/**
 * Every failure artmeta reports carries one of these stable codes. The CLI prints them in
 * `error.code`, the worker fails the job with them, the API maps them to HTTP statuses.
 * Codes are part of the public contract: add new ones, never rename.
 */
export const ERROR_CODES = {
  /** The input has no bytes. */
  EMPTY_INPUT: 422,
  /** The bytes are not an image format artmeta reads (JPEG, PNG, WebP, AVIF, TIFF, GIF). */
  UNSUPPORTED_FORMAT: 415,
  /** The format is known but the data is damaged or truncated. */
  CORRUPT_IMAGE: 422,
  /** Width × height over the configured pixel limit (decompression-bomb guard). */
  PIXEL_LIMIT: 413,
  /** The input file or upload is larger than the configured byte limit. */
  INPUT_TOO_LARGE: 413,
  /** A file path that does not exist or cannot be read. */
  NOT_FOUND: 404,
  /** A request or option that does not make sense (bad aspect ratio, bad placement spec…). */
  INVALID_ARGUMENT: 400,
  /**
   * A `url` source did not answer, timed out or failed on its side (5xx), or a `path` source changed
   * while a render was reading it: worth retrying later.
   */
  SOURCE_UNAVAILABLE: 502,
  /**
   * A stored lineage signature of an older format version: its metrics are not comparable with the
   * current ones, so it must be recomputed from the image (nothing is converted silently).
   */
  STALE_SIGNATURE: 409,
  /**
   * The lineage catalogue in Redis must be rebuilt (`artmeta catalogue rebuild`) before images can join
   * it: it was built by another matcher or index layout, or its generation has used all its slots.
   */
  CATALOGUE_OUTDATED: 503,
  /**
   * The lineage catalogue in Redis contradicts itself (an image's entry without its lineage record, a
   * representative without a signature): `artmeta catalogue check` names what is broken.
   */
  CATALOGUE_INCONSISTENT: 500,
  /**
   * A cluster job stopped waiting for one image's analysis (ARTMETA_ANALYSIS_TIMEOUT_MS, a busy queue):
   * the analysis goes on, and a clustering submitted later finds it done.
   */
  TIMED_OUT: 504,
  /** Redis (and so the queue, the store and the catalogue) cannot be reached right now. */
  UNAVAILABLE: 503,
  /** An `ARTMETA_*` setting that cannot work (a bad value, a port already taken): the process does not start. */
  INVALID_CONFIG: 500,
  /** Something inside OpenCV or sharp failed that the input does not explain. */
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ArtmetaError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArtmetaError';
    this.code = code;
  }

  /** The HTTP status the API answers with for this error. */
  get status(): number {
    return ERROR_CODES[this.code];
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isArtmetaError(value: unknown): value is ArtmetaError {
  return value instanceof ArtmetaError;
}

/** Plain `{code, message}` for any thrown value, for JSON output. */
export function describeError(value: unknown): { code: ErrorCode; message: string } {
  if (isArtmetaError(value)) return value.toJSON();
  const message = value instanceof Error ? value.message : String(value);
  return { code: 'INTERNAL', message };
}
