import { availableParallelism, totalmem } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { closest, distance } from 'fastest-levenshtein';
import { DEFAULT_CANVASES, parseCanvasList } from '../analysis/crop/canvas-spec.ts';
import { ArtmetaError } from '../analysis/errors.ts';
import { allowEntryProblem } from './sources/address-guard.ts';

/**
 * Rendered pictures an API process keeps: 64 MiB holds about 2,000 renders of 640 px (27-37 kB in
 * WebP or JPEG), a page's worth of images for every popular canvas; a CDN in front keeps the rest.
 */
const DEFAULT_RENDER_CACHE_BYTES = 64 * 1024 * 1024;
/**
 * Render masters an API process keeps: 128 MiB holds about 90 decoded 800×600 photos (1.4 MB each),
 * 19 masters of 3840×2400 photos (scaled to 1920×1200, 6.9 MB), at least 9 of the largest (1920×1920
 * with alpha, 14.7 MB): the images whose other sizes, formats and canvases are asked for soon after
 * the first.
 */
const DEFAULT_RENDER_MASTER_BYTES = 128 * 1024 * 1024;
/**
 * Longest side of a render master (api/render/render-master.ts): an image up to it is kept as
 * decoded, a larger one scaled down to it, and a render is cut from the master when the master has
 * twice the output's pixels across the crop. 1920 px is half of 3840, the width of 4K (UHD)
 * pictures, the commonest large size: libjpeg decodes such a JPEG's master directly at ½, with
 * nothing left to resample (and a 3640 px one at ½ too, 1820 px: DCT_MASTER_MIN_FILL); on 5
 * 3640-3840×2400 wallpapers a master costs 71 ms of CPU against 125 for a full decode scaled to 2048
 * px, the bound before (one process, interleaved, load ~10). It serves a 960 px `<img>` (or 480 px at
 * 2× density) of a whole-width crop of any image, and a master holds at most 1920×1920×4 bytes (14.7
 * MB with alpha, 11.1 without; 6.9 MB for a 3840×2400 photo). Every later size, format or canvas cut
 * from it costs 10-18 ms of CPU (bench:render-options, bench:service, large sources).
 */
export const DEFAULT_RENDER_MASTER_MAX_SIDE = 1920;
/**
 * WebP encoder effort of /render (0-6; sharp's default is 4). A render is encoded while its client
 * waits, then cached for a year (immutable URLs), so its bytes are paid on every view. Cut from a
 * master, the encode is most of a WebP render's CPU (9.9 of 11.7 ms at 640 px). On 20 photos
 * outside the validation set (bench:render-options --only webp): effort 2 encodes in 11.8 ms of CPU
 * against 24.1 at 4, for 3.3% more bytes; effort 0 in 7.6 ms for 13.2% more bytes than effort 2 at
 * the same fidelity to the unencoded pixels (luma PSNR median 38.2 against 37.8 dB, SSIM 0.970 and
 * 0.970), effort 1 in 9.4 ms for 8.1% more. Kept at 2, as the bytes are paid per view and the CPU
 * per new picture; an operator whose CPU is dearer than bandwidth sets 0.
 */
export const DEFAULT_RENDER_WEBP_EFFORT = 2;
/** TCP port numbers are 16 bits. */
const MAX_TCP_PORT = 65_535;
/** Past the largest output side (MAX_RENDER_SIDE in api/render/render-url.ts) a larger master serves nothing more. */
const MAX_RENDER_MASTER_SIDE = 8192;

/**
 * Every setting of the worker and the API comes from environment variables, read and validated once at
 * start: a bad value stops the process with a message naming the variable. The defaults below are the
 * documented ones (docs/deployment.md lists them all).
 */
const Integer = (defaultValue: number, minimum: number, description: string, maximum?: number) =>
  Type.Integer({ default: defaultValue, minimum, ...(maximum === undefined ? {} : { maximum }), description });

const EnvSchema = Type.Object({
  ARTMETA_REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379', pattern: '^rediss?://', description: 'Redis every API and worker shares' }),
  ARTMETA_REDIS_CLUSTER: Type.Boolean({ default: false, description: 'Connect to a Redis Cluster (the URL names one seed node)' }),
  ARTMETA_PREFIX: Type.String({
    default: '{artmeta}',
    pattern: '^\\{[^{}]+\\}',
    description: 'Key prefix; must start with a {hash tag} so every key lands in one Redis Cluster slot',
  }),
  ARTMETA_API_KEYS: Type.String({ default: '', description: 'Comma-separated API keys; required by `artmeta serve`' }),
  ARTMETA_HOST: Type.String({ default: '0.0.0.0' }),
  ARTMETA_PORT: Integer(8080, 0, 'HTTP port of the API (0 = any free port)', MAX_TCP_PORT),
  ARTMETA_CONCURRENCY: Integer(availableParallelism(), 1, 'Jobs one worker process runs at once'),
  ARTMETA_CLUSTER_CONCURRENCY: Integer(4, 1, 'Cluster jobs one worker process runs at once (they mostly wait for their analyses)'),
  ARTMETA_ANALYSIS_TIMEOUT_MS: Integer(10 * 60_000, 1_000, "Longest wait of a cluster job for one image's analysis"),
  ARTMETA_SHUTDOWN_MS: Integer(8_000, 100, 'On SIGTERM, longest wait for running work before the process exits anyway (its jobs are retried elsewhere)'),
  ARTMETA_ANALYSIS_THREADS: Integer(0, 0, 'Analysis threads per process; 0 = as many as ARTMETA_CONCURRENCY (worker) or 1 (API)'),
  ARTMETA_ASPECTS: Type.String({ default: DEFAULT_CANVASES.join(','), description: 'Canvases every analysis stores crop hints for' }),
  ARTMETA_PATH_ROOTS: Type.String({ default: '', description: 'Comma-separated directories `path` sources may read; empty = path sources refused' }),
  ARTMETA_URL_ALLOW: Type.String({
    default: '',
    description: 'Comma-separated host names or CIDR ranges a `url` source may reach although private or loopback',
  }),
  ARTMETA_URL_MAX_BYTES: Integer(32 * 1024 * 1024, 1, 'Largest image a `url` source may download'),
  ARTMETA_URL_TIMEOUT_MS: Integer(10_000, 1, 'Time limit for one download'),
  ARTMETA_UPLOAD_MAX_BYTES: Integer(32 * 1024 * 1024, 1, 'Largest upload the API accepts'),
  ARTMETA_MAX_PIXELS: Integer(100_000_000, 1, 'Decompression-bomb guard: largest width × height decoded'),
  ARTMETA_JOB_ATTEMPTS: Integer(5, 1, 'Tries of a job that fails for a transient reason'),
  ARTMETA_JOB_BACKOFF_MS: Integer(1_000, 0, 'First retry delay; doubles on every retry'),
  ARTMETA_LOCK_MS: Integer(30_000, 1_000, 'Job lock; a job whose worker died is retried by another worker after about this long'),
  ARTMETA_KEEP_COMPLETED: Integer(10_000, 0, 'Completed jobs kept (ids deduplicate while kept)'),
  ARTMETA_KEEP_FAILED: Integer(50_000, 0, 'Failed jobs kept'),
  ARTMETA_KEEP_SECONDS: Integer(7 * 24 * 3600, 1, 'Longest time a finished job is kept'),
  ARTMETA_RENDER_KEY: Type.String({
    default: '',
    description: 'Secret that signs /render URLs (HMAC-SHA256), at least 32 characters; empty = /render refuses every URL',
  }),
  ARTMETA_RENDER_CACHE_BYTES: Integer(
    DEFAULT_RENDER_CACHE_BYTES,
    0,
    'Rendered /render pictures kept in memory by each API process, in bytes (least recently used first out); 0 = none',
  ),
  ARTMETA_RENDER_MASTER_BYTES: Integer(
    DEFAULT_RENDER_MASTER_BYTES,
    0,
    'Decoded images (render masters) kept in memory by each API process for new /render sizes and formats, in bytes; 0 = none',
  ),
  ARTMETA_RENDER_MASTER_MAX_SIDE: Integer(
    DEFAULT_RENDER_MASTER_MAX_SIDE,
    64,
    'Longest side of a render master: a larger image is kept scaled down to it, and serves the renders it has twice the pixels for',
    MAX_RENDER_MASTER_SIDE,
  ),
  ARTMETA_RENDER_WEBP_EFFORT: Integer(DEFAULT_RENDER_WEBP_EFFORT, 0, 'WebP encoder effort of /render, 0-6: lower is less CPU per new picture for more bytes per view', 6),
  ARTMETA_UPLOAD_TTL_SECONDS: Integer(24 * 3600, 1, 'How long an upload waits in Redis for its job'),
  ARTMETA_LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
});

type Env = Static<typeof EnvSchema>;

const MIN_RENDER_KEY_LENGTH = 32;

export interface ArtmetaConfig {
  redis: { url: string; cluster: boolean };
  /** Key prefix for queues and the result store (`{artmeta}`). */
  prefix: string;
  api: {
    host: string;
    port: number;
    apiKeys: string[];
    uploadMaxBytes: number;
    analysisThreads: number;
    renderKey: string | undefined;
    /** In-process bounds of /render's caches, in bytes (0 = off): encoded pictures, and decoded masters. */
    renderCacheBytes: number;
    renderMasterBytes: number;
    /** Longest side of a decoded master; larger images are scaled down to it. */
    renderMasterMaxSide: number;
    /** libwebp's effort (method) for WebP renders. */
    renderWebpEffort: number;
  };
  worker: { concurrency: number; analysisThreads: number; lockMs: number; clusterConcurrency: number; analysisTimeoutMs: number };
  analysis: { aspects: string[]; maxPixels: number };
  sources: {
    pathRoots: string[];
    url: { allow: string[]; maxBytes: number; timeoutMs: number };
  };
  jobs: { attempts: number; backoffMs: number; keepCompleted: number; keepFailed: number; keepSeconds: number; uploadTtlSeconds: number };
  logLevel: Env['ARTMETA_LOG_LEVEL'];
  /** How long `serve` and `worker` wait for running work after SIGTERM before they exit anyway. */
  shutdownMs: number;
}

/** A configuration that cannot work (INVALID_CONFIG); the message lists every bad variable. */
export class ConfigError extends ArtmetaError {
  constructor(readonly problems: string[]) {
    super('INVALID_CONFIG', `invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the configuration from environment variables (only ARTMETA_* are looked at). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ArtmetaConfig {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key]?.trim();
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const problems: string[] = [];
  // A misspelt variable would otherwise leave its default in force without a word (ARTMETA_CONCURENCY=2 ran with one job per core).
  for (const key of Object.keys(env).filter((k) => k.startsWith('ARTMETA_') && !(k in EnvSchema.properties)).sort()) {
    const near = nearestVariable(key);
    problems.push(`${key}: not a variable artmeta reads${near ? ` (${near}?)` : ''}`);
  }
  const typed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const parsed = parseValue(EnvSchema.properties[key as keyof Env], value);
    if (parsed.ok) typed[key] = parsed.value;
    else problems.push(`${key}=${JSON.stringify(value)}: ${parsed.problem}`);
  }
  const withDefaults = Value.Default(EnvSchema, typed);
  // A value that did not parse is absent from `typed`: its default stands in, so it is reported once, by its parse problem.
  for (const e of Value.Errors(EnvSchema, withDefaults)) problems.push(`${e.path.slice(1)}=${JSON.stringify(raw[e.path.slice(1)] ?? '')}: ${schemaProblem(e.schema, e.message)}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return toConfig(withDefaults as Env);
}

/** Typos this far (edits) from a variable's name are named with it. */
const MAX_TYPO_EDITS = 3;

/** The known variable nearest to a misspelt one (edit distance), if one is within MAX_TYPO_EDITS. */
function nearestVariable(name: string): string | undefined {
  const near = closest(name, Object.keys(EnvSchema.properties));
  return distance(name, near) <= MAX_TYPO_EDITS ? near : undefined;
}

/** TypeBox's message, or for a choice of words (a union of literals, which it calls "Expected union value") the words. */
function schemaProblem(schema: TSchema, message: string): string {
  const choices = (schema.anyOf as TSchema[] | undefined)?.map((option) => option.const as unknown);
  return choices?.every((choice) => typeof choice === 'string') ? `one of ${choices.join(', ')}` : message;
}

const PLAIN_INTEGER = /^(0|-?[1-9][0-9]*)$/;
const BOOLEANS: Record<string, boolean> = { true: true, false: false, 1: true, 0: false };

/**
 * One variable's text as the type its schema wants. Only plain decimal integers are integers:
 * typebox's Value.Convert (and Number()) would read "1.5" as 1, "1e3" as 1 and "0x10" as 16 without
 * a word, so a typo in a byte bound or a port gives a working process with another setting.
 */
function parseValue(schema: TSchema, text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  if (schema.type === 'integer') {
    const value = Number(text);
    if (!PLAIN_INTEGER.test(text) || !Number.isSafeInteger(value)) return { ok: false, problem: 'not a plain integer (decimal digits only, at most 2^53 - 1)' };
    return { ok: true, value };
  }
  if (schema.type === 'boolean') {
    const value = BOOLEANS[text.toLowerCase()];
    return value === undefined ? { ok: false, problem: 'not a boolean (true, false, 1 or 0)' } : { ok: true, value };
  }
  return { ok: true, value: text };
}

function toConfig(env: Env): ArtmetaConfig {
  const problems: string[] = [];
  const aspects = list(env.ARTMETA_ASPECTS);
  try {
    parseCanvasList(aspects);
  } catch (e) {
    problems.push(`ARTMETA_ASPECTS: ${(e as Error).message}`);
  }
  const redisProblem = redisUrlProblem(env.ARTMETA_REDIS_URL, env.ARTMETA_REDIS_CLUSTER);
  if (redisProblem) problems.push(`ARTMETA_REDIS_URL=${JSON.stringify(env.ARTMETA_REDIS_URL)}: ${redisProblem}`);
  const pathRoots = list(env.ARTMETA_PATH_ROOTS);
  for (const root of pathRoots) if (!isAbsolute(root)) problems.push(`ARTMETA_PATH_ROOTS: "${root}" is not an absolute path`);
  const urlAllow = list(env.ARTMETA_URL_ALLOW);
  for (const problem of urlAllow.map(allowEntryProblem)) if (problem) problems.push(`ARTMETA_URL_ALLOW: ${problem}`);
  const renderKey = env.ARTMETA_RENDER_KEY;
  // A short key can be guessed offline from one signed URL; 32 characters of a random string are out of reach.
  if (renderKey !== '' && renderKey.length < MIN_RENDER_KEY_LENGTH) problems.push(`ARTMETA_RENDER_KEY: at least ${MIN_RENDER_KEY_LENGTH} characters`);
  const renderCaches = env.ARTMETA_RENDER_CACHE_BYTES + env.ARTMETA_RENDER_MASTER_BYTES;
  // A typo of a few digits would let the caches grow until the process is killed; half the memory leaves room for the rest of it.
  if (renderCaches > memoryLimit() / 2) {
    problems.push(`ARTMETA_RENDER_CACHE_BYTES + ARTMETA_RENDER_MASTER_BYTES: ${renderCaches} bytes, more than half of this machine's or container's memory (${memoryLimit()})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const concurrency = env.ARTMETA_CONCURRENCY;
  return {
    redis: { url: env.ARTMETA_REDIS_URL, cluster: env.ARTMETA_REDIS_CLUSTER },
    prefix: env.ARTMETA_PREFIX,
    api: {
      host: env.ARTMETA_HOST,
      port: env.ARTMETA_PORT,
      apiKeys: list(env.ARTMETA_API_KEYS),
      uploadMaxBytes: env.ARTMETA_UPLOAD_MAX_BYTES,
      analysisThreads: env.ARTMETA_ANALYSIS_THREADS || 1,
      renderKey: renderKey || undefined,
      renderCacheBytes: env.ARTMETA_RENDER_CACHE_BYTES,
      renderMasterBytes: env.ARTMETA_RENDER_MASTER_BYTES,
      renderMasterMaxSide: env.ARTMETA_RENDER_MASTER_MAX_SIDE,
      renderWebpEffort: env.ARTMETA_RENDER_WEBP_EFFORT,
    },
    worker: {
      concurrency,
      analysisThreads: env.ARTMETA_ANALYSIS_THREADS || concurrency,
      lockMs: env.ARTMETA_LOCK_MS,
      clusterConcurrency: env.ARTMETA_CLUSTER_CONCURRENCY,
      analysisTimeoutMs: env.ARTMETA_ANALYSIS_TIMEOUT_MS,
    },
    analysis: { aspects, maxPixels: env.ARTMETA_MAX_PIXELS },
    sources: {
      pathRoots: pathRoots.map((root) => resolve(root)),
      url: { allow: urlAllow, maxBytes: env.ARTMETA_URL_MAX_BYTES, timeoutMs: env.ARTMETA_URL_TIMEOUT_MS },
    },
    jobs: {
      attempts: env.ARTMETA_JOB_ATTEMPTS,
      backoffMs: env.ARTMETA_JOB_BACKOFF_MS,
      keepCompleted: env.ARTMETA_KEEP_COMPLETED,
      keepFailed: env.ARTMETA_KEEP_FAILED,
      keepSeconds: env.ARTMETA_KEEP_SECONDS,
      uploadTtlSeconds: env.ARTMETA_UPLOAD_TTL_SECONDS,
    },
    logLevel: env.ARTMETA_LOG_LEVEL,
    shutdownMs: env.ARTMETA_SHUTDOWN_MS,
  };
}

/**
 * What is wrong with a Redis URL, if anything. Its path is the database number (`/3`), as ioredis
 * reads it; anything else there, or a database other than 0 for a Redis Cluster (which has only
 * database 0, and whose client would ignore it), would silently put the keys in database 0.
 */
function redisUrlProblem(url: string, cluster: boolean): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL (redis://[user:password@]host[:port][/database])';
  }
  if (!parsed.hostname) return 'no host';
  const database = /^\/?$/.test(parsed.pathname) ? 0 : /^\/(0|[1-9][0-9]{0,5})$/.test(parsed.pathname) ? Number(parsed.pathname.slice(1)) : undefined;
  if (database === undefined) return `the path ${JSON.stringify(parsed.pathname)} is not a database number (/0, /1, …)`;
  if (cluster && database !== 0) return 'a Redis Cluster has only database 0 (ARTMETA_REDIS_CLUSTER=true)';
  return undefined;
}

/** Memory this process may use: the container's limit when there is one, else the machine's. */
function memoryLimit(): number {
  const constrained = process.constrainedMemory();
  return constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
