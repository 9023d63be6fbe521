import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { ArtmetaError } from '../../analysis/errors.ts';
import { AddressGuard } from './address-guard.ts';

/** The configured limits: config.sources.url (ARTMETA_URL_*, whose defaults are in service/config.ts). */
interface UrlSourceOptions {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Time limit for the whole download including redirects, in ms. */
  timeoutMs: number;
  /** Host names or CIDR ranges that may be reached although private or loopback. */
  allow: readonly string[];
}

/** Redirects followed (each one checked like the first URL). */
const MAX_REDIRECTS = 3;

/**
 * Content types an image may be served with. The generic binary types say nothing either way and are
 * left to the decoder to judge: `application/octet-stream`, and `binary/octet-stream`, which S3 and
 * Google Cloud Storage give an object uploaded without a content type.
 */
const ACCEPTED_TYPE = /^(image\/[\w.+-]+|application\/octet-stream|binary\/octet-stream)\s*(;|$)/i;

/**
 * Downloads an image from an http(s) URL with the SSRF guard applied to every address actually
 * connected to (checked inside the DNS lookup, so a name cannot resolve to a public address when
 * checked and a private one when used), a size cap, a time limit and a content-type check.
 * Permanent problems throw ArtmetaError with the input's code; network faults and 5xx answers throw
 * SOURCE_UNAVAILABLE, which a job retries.
 */
export async function fetchUrl(url: string, opts: UrlSourceOptions): Promise<Buffer> {
  const guard = new AddressGuard(opts.allow);
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let target = parseSourceUrl(url);
  for (let redirects = 0; ; redirects++) {
    const response = await request(target, guard, signal);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.resume();
      if (redirects >= MAX_REDIRECTS) throw new ArtmetaError('INVALID_ARGUMENT', `${url}: more than ${MAX_REDIRECTS} redirects`);
      target = parseSourceUrl(new URL(response.headers.location, target).href);
      continue;
    }
    return readBody(response, target, opts.maxBytes, signal);
  }
}

/**
 * A `url` source as the URL it will be fetched at: http(s), without credentials. Where a request
 * enters (job ids, the API's routes) it refuses a bad one with INVALID_ARGUMENT before anything is
 * queued: the schema's `uri` format lets `http://` through, which then failed as INTERNAL.
 */
export function parseSourceUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ArtmetaError('INVALID_ARGUMENT', `not a URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ArtmetaError('INVALID_ARGUMENT', `only http and https URLs are fetched, not ${url.protocol}`);
  }
  if (url.username || url.password) throw new ArtmetaError('INVALID_ARGUMENT', 'URLs with credentials are not fetched');
  return url;
}

function request(url: URL, guard: AddressGuard, signal: AbortSignal): Promise<IncomingMessage> {
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const trusted = guard.hostAllowed(hostname);
  // Literal IPs never reach the lookup function, so they are checked here.
  if (isIP(hostname) && !trusted && !guard.addressAllowed(hostname)) return Promise.reject(blocked(url, hostname));
  const lookup: LookupFunction = (host, lookupOptions, callback) => {
    dnsLookup(host, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const bad = addresses.find((a) => !trusted && !guard.addressAllowed(a.address));
      if (bad) return callback(blocked(url, bad.address), '', 0);
      if (lookupOptions.all) return callback(null, addresses as unknown as string, 0);
      const first = addresses[0];
      if (!first) return callback(new Error(`${host} has no address`), '', 0);
      callback(null, first.address, first.family);
    });
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { lookup, signal, headers: { accept: 'image/*', 'user-agent': 'artmeta' } }, resolve);
    req.once('error', (e) => reject(classifyNetworkError(url, e, signal)));
  });
}

async function readBody(response: IncomingMessage, url: URL, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const status = response.statusCode ?? 0;
  if (status !== 200) {
    response.resume();
    if (status === 404 || status === 410) throw new ArtmetaError('NOT_FOUND', `${url.href} answered ${status}`);
    if (status >= 500 || status === 429 || status === 408) throw new ArtmetaError('SOURCE_UNAVAILABLE', `${url.href} answered ${status}`);
    throw new ArtmetaError('INVALID_ARGUMENT', `${url.href} answered ${status}`);
  }
  const type = response.headers['content-type'] ?? '';
  if (!ACCEPTED_TYPE.test(type)) {
    response.resume();
    throw new ArtmetaError('UNSUPPORTED_FORMAT', `${url.href} is ${type || 'of no content type'}, not an image`);
  }
  const declared = Number(response.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    response.destroy();
    throw tooLarge(url, declared, maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        response.destroy();
        throw tooLarge(url, total, maxBytes);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    throw classifyNetworkError(url, e, signal);
  }
  return Buffer.concat(chunks, total);
}

function classifyNetworkError(url: URL, e: unknown, signal: AbortSignal): ArtmetaError {
  if (e instanceof ArtmetaError) return e;
  const cause = e as NodeJS.ErrnoException;
  if (cause.code === 'ENOTFOUND') return new ArtmetaError('NOT_FOUND', `${url.hostname} does not resolve`, { cause });
  if (signal.aborted) return new ArtmetaError('SOURCE_UNAVAILABLE', `${url.href} timed out`, { cause });
  return new ArtmetaError('SOURCE_UNAVAILABLE', `${url.href}: ${cause.code ?? cause.message}`, { cause });
}

function blocked(url: URL, address: string): ArtmetaError {
  return new ArtmetaError('INVALID_ARGUMENT', `${url.hostname} (${address}) is a private, loopback or reserved address: not fetched`);
}

function tooLarge(url: URL, bytes: number, maxBytes: number): ArtmetaError {
  return new ArtmetaError('INPUT_TOO_LARGE', `${url.href} is over ${maxBytes} bytes (${bytes})`);
}
