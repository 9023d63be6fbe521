import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseCanvasSpec, type CanvasSpec } from '../../analysis/crop/canvas-spec.ts';
import { ArtmetaError } from '../../analysis/errors.ts';
import { ApiError } from '../api-error.ts';

export const RENDER_PREFIX = '/render';
export const RENDER_FORMATS = ['jpeg', 'webp', 'avif', 'png'] as const;
export type RenderFormat = (typeof RENDER_FORMATS)[number];
/** Longest output side: even a signed URL should not ask the server for a gigapixel image. */
export const MAX_RENDER_SIDE = 8192;

/** One parsed render URL: what to crop and how to encode it. */
export interface RenderRequest {
  source: { url: string } | { path: string };
  canvas: CanvasSpec;
  /** Output width or height in pixels; neither = the canvas's pixel size (`1280x720`) or the crop's own size. */
  width?: number;
  height?: number;
  format: RenderFormat;
  /** 1-100 for the lossy formats; the encoder's default when absent. */
  quality?: number;
  /** Scale the crop up when the output is larger than it (off: the output stops at the crop's own size). */
  enlarge: boolean;
}

/**
 * Signed render URLs, in the manner of imgproxy's: the signature is the URL-safe Base64 (unpadded)
 * HMAC-SHA256, under ARTMETA_RENDER_KEY, of the rest of the path including its leading `/`:
 *
 *   /render/<signature>/canvas:16:9/width:640/quality:80/url:<base64url of the source>.webp
 *
 * Options are `/`-separated `name:value` pairs (`canvas` required; `width` or `height`, `quality`,
 * `enlarge:1` optional); the last segment is the source, `url:` or `path:` and its Base64url, with
 * the output format as extension. Encoding the source keeps any URL a single path segment that no
 * proxy rewrites.
 */
export function renderPath(request: RenderRequest, key: string): string {
  const options = [
    `canvas:${request.canvas.label}`,
    ...(request.width !== undefined ? [`width:${request.width}`] : []),
    ...(request.height !== undefined ? [`height:${request.height}`] : []),
    ...(request.quality !== undefined ? [`quality:${request.quality}`] : []),
    ...(request.enlarge ? ['enlarge:1'] : []),
  ];
  const [kind, value] = 'url' in request.source ? ['url', request.source.url] : ['path', request.source.path];
  const signed = `/${options.join('/')}/${kind}:${Buffer.from(value).toString('base64url')}.${request.format}`;
  return `${RENDER_PREFIX}/${signature(signed, key)}${signed}`;
}

/**
 * Checks the signature of a render path (what follows `/render/`, no query) and parses it. The
 * signature is checked first, in constant time, so nothing of an unsigned URL is looked at.
 */
export function verifyRenderPath(rest: string, key: string | undefined): RenderRequest {
  if (!key) throw new ApiError('INVALID_SIGNATURE', 'signed rendering is off: ARTMETA_RENDER_KEY is not set');
  const slash = rest.indexOf('/');
  if (slash <= 0) throw new ApiError('INVALID_SIGNATURE', 'the render URL carries no signature');
  const presented = Buffer.from(rest.slice(0, slash), 'base64url');
  const expected = createHmac('sha256', key).update(rest.slice(slash)).digest();
  // The length is no secret (every signature is 32 bytes); timingSafeEqual needs equal lengths.
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw new ApiError('INVALID_SIGNATURE', 'the render URL signature does not match');
  }
  return parseRenderOptions(rest.slice(slash + 1).split('/'));
}

function signature(signed: string, key: string): string {
  return createHmac('sha256', key).update(signed).digest('base64url');
}

function parseRenderOptions(segments: string[]): RenderRequest {
  const last = segments.pop() ?? '';
  const options = new Map<string, string>();
  for (const segment of segments) {
    const colon = segment.indexOf(':');
    const name = segment.slice(0, colon);
    if (colon <= 0 || !['canvas', 'width', 'height', 'quality', 'enlarge'].includes(name)) throw invalid(`unknown render option "${segment}"`);
    if (options.has(name)) throw invalid(`render option "${name}" given twice`);
    options.set(name, segment.slice(colon + 1));
  }
  const source = /^(url|path):([\w-]+)\.(\w+)$/.exec(last);
  if (!source) throw invalid('the last segment must be url:<base64url>.<format> or path:<base64url>.<format>');
  const format = source[3] === 'jpg' ? 'jpeg' : source[3];
  if (!RENDER_FORMATS.includes(format as RenderFormat)) throw invalid(`format ${format}: use ${RENDER_FORMATS.join(', ')}`);
  const value = Buffer.from(source[2]!, 'base64url').toString('utf8');
  const canvas = options.get('canvas');
  if (canvas === undefined) throw invalid('the canvas option is required (canvas:16:9)');
  const request: RenderRequest = {
    source: source[1] === 'url' ? { url: value } : { path: value },
    canvas: parseCanvasSpec(canvas),
    format: format as RenderFormat,
    enlarge: options.get('enlarge') === '1',
  };
  const width = integerOption(options, 'width', 1, MAX_RENDER_SIDE);
  const height = integerOption(options, 'height', 1, MAX_RENDER_SIDE);
  if (width !== undefined && height !== undefined) throw invalid('give width or height, not both: the canvas sets the other');
  if (width !== undefined) request.width = width;
  if (height !== undefined) request.height = height;
  const quality = integerOption(options, 'quality', 1, 100);
  if (quality !== undefined) {
    if (request.format === 'png') throw invalid('png is lossless: it takes no quality');
    request.quality = quality;
  }
  if (options.has('enlarge') && !['0', '1'].includes(options.get('enlarge')!)) throw invalid('enlarge is 0 or 1');
  return request;
}

function integerOption(options: Map<string, string>, name: string, min: number, max: number): number | undefined {
  const raw = options.get(name);
  if (raw === undefined) return undefined;
  const value = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw invalid(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

function invalid(message: string): ArtmetaError {
  return new ArtmetaError('INVALID_ARGUMENT', message);
}
