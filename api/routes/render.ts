import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ArtmetaConfig } from '../../service/config.ts';
import { hashedImageLoader } from '../../service/queue/image-loader.ts';
import type { ResultStore } from '../../service/store/result-store.ts';
import type { AnalysisCache } from '../../service/store/analysis-cache.ts';
import { parseAnalyzeRequest } from '../../service/request/analyze-request.ts';
import { ByteBoundedCache, type CacheOutcome } from '../render/byte-bounded-cache.ts';
import { RENDER_CONTENT_TYPES, outputSize, renderCrop, renderEtag, renderFromMaster, renderPlan } from '../render/crop-render.ts';
import { decodeMaster, keepsReducedMasters, type RenderMaster } from '../render/render-master.ts';
import { RENDER_FORMATS, RENDER_PREFIX, verifyRenderPath } from '../render/render-url.ts';
import { errorResponses } from './error-schema.ts';

/** A render URL names its picture for good (the source's bytes, the crop, the encoding): caches may keep it a year. */
const CACHE_CONTROL = 'public, max-age=31536000, immutable';

interface RenderDeps {
  config: ArtmetaConfig;
  store: ResultStore;
  cache: AnalysisCache;
}

const binary = { schema: { type: 'string', format: 'binary' } };

/**
 * Says how an answer was made (as a CDN's X-Cache does), for operators and the bench: `hit` from the
 * rendered-picture cache, `shared` the render another request was making of the same picture,
 * `master` cut from a cached decoded image, `miss` decoded from the source now.
 */
const RENDER_CACHE_HEADER = 'x-render-cache';
const RENDER_CACHE_STATES = ['hit', 'shared', 'master', 'miss'] as const;
type RenderSource = 'master' | 'miss';

/** `GET /render/…`: an image cropped to a canvas and resized, behind a signed URL, for `<img src>`. */
export async function renderRoutes(app: FastifyInstance, { config, store, cache }: RenderDeps): Promise<void> {
  // A render whose picture is cached needs only the source's hash: a known file version is a stat, not a read and a hash.
  const load = hashedImageLoader(config, store);
  // In this process: a render is a few ms of CPU to redo and a few tens of kB to keep, so a local
  // cache (no network round trip, no copy) is the fastest; every API replica fills its own, and a
  // CDN in front shares across them (the URLs are immutable). Redis is left to the queue: BullMQ
  // needs it to evict nothing, so a cache there could only expire by TTL and would compete with jobs.
  const pictures = new ByteBoundedCache<Buffer>(config.api.renderCacheBytes, (picture) => picture.length);
  const masters = new ByteBoundedCache<RenderMaster>(config.api.renderMasterBytes, (master) => master.pixels.length);
  const masterPolicy = { maxSide: config.api.renderMasterMaxSide, reduced: keepsReducedMasters(config.api.renderMasterBytes, config.api.renderMasterMaxSide) };
  app.get(
    `${RENDER_PREFIX}/*`,
    {
      // In OpenAPI the wildcard is a parameter with a name: a client sends the whole signed path in it (escaped or not).
      config: {
        swaggerTransform: ({ schema }: { schema: object }) => ({
          schema: { ...schema, params: Type.Object({ path: Type.String({ description: 'Everything after /render/, as above; may be URL-encoded whole' }) }) },
          url: `${RENDER_PREFIX}/:path`,
        }),
      },
      schema: {
        tags: ['render'],
        operationId: 'render',
        summary: 'The image cropped to a canvas and resized (signed URL; `artmeta sign-url` makes one)',
        description:
          'Path: `/render/<signature>/canvas:16:9[/width:640|/height:360][/quality:80][/enlarge:1]/(url|path):<base64url of the source>.(jpeg|webp|avif|png)`. ' +
          'The signature is the unpadded URL-safe Base64 HMAC-SHA256, under ARTMETA_RENDER_KEY, of the path after it (from its `/`). ' +
          'The crop is the stored crop hint of the image for that canvas (the image is analysed first if unknown). ' +
          'Never larger than the crop unless `enlarge:1`. Encoded at the format\'s default quality unless `quality:`; WebP at effort 2 (ARTMETA_RENDER_WEBP_EFFORT), JPEG without Huffman-table optimisation. ' +
          'Rendered pictures and decoded images are kept in memory by each API process (`x-render-cache` says how an answer was made). ' +
          'No API key: the signature is the authorisation.',
        security: [],
        params: Type.Object({ '*': Type.String() }),
        response: {
          200: {
            description: 'The picture, with a strong ETag and a year-long Cache-Control',
            headers: {
              etag: Type.String(),
              'cache-control': Type.String(),
              // An enum, not TypeBox's union of constants: OpenAPI 3.0 has no `const`.
              [RENDER_CACHE_HEADER]: Type.Unsafe<(typeof RENDER_CACHE_STATES)[number]>({
                type: 'string',
                enum: [...RENDER_CACHE_STATES],
                description:
                  "hit: from this process's cache of rendered pictures; shared: waited for another request's render of it; master: cut from the cache of decoded images; miss: decoded now",
              }),
            },
            content: Object.fromEntries(RENDER_FORMATS.map((f) => [RENDER_CONTENT_TYPES[f], binary])),
          },
          304: { description: 'Not modified: If-None-Match holds the ETag', type: 'null' },
          ...errorResponses(400, 403, 404, 413, 415, 422, 500, 502, 503),
        },
      },
    },
    async (request, reply) => {
      // The decoded rest of the path: a client that escapes a `/` or `:` (Swagger UI does) still matches its signature.
      const render = verifyRenderPath((request.params as { '*': string })['*'], config.api.renderKey);
      const image = await load(render.source);
      // The one place render reads the stored analysis, or analyses an image it has not seen.
      const analyzeRequest = parseAnalyzeRequest({ aspects: [render.canvas.label], text: false }, []);
      const { hash, analysis } = (await cache.known(image.hash, analyzeRequest)) ?? (await cache.forBytes(await image.bytes(), analyzeRequest));
      const crop = analysis.crops[render.canvas.label]!;
      const size = outputSize(crop, render);
      const plan = renderPlan(crop, size, analysis, masterPolicy);
      // The ETag names everything that decides the bytes: it is also the picture's cache key.
      const encoding = { format: render.format, quality: render.quality, webpEffort: config.api.renderWebpEffort };
      const etag = renderEtag(hash, crop, size, plan, encoding);
      // Caching headers only on answers worth keeping, never on an error.
      const cacheable = { etag, 'cache-control': CACHE_CONTROL };
      if (matchesEtag(request.headers['if-none-match'], etag)) return reply.status(304).headers(cacheable).send();
      let source: RenderSource = 'miss';
      const { value: picture, outcome } = await pictures.getOrMake(etag, async () => {
        if (plan.from === 'source') return renderCrop(await image.bytes(), crop, size, analysis, encoding, config.analysis.maxPixels);
        // One master per image: its size follows from the image's and the configured bound alone.
        const master = await masters.getOrMake(hash, async () => decodeMaster(await image.bytes(), analysis, plan.master, config.analysis.maxPixels));
        if (master.outcome !== 'made') source = 'master';
        return renderFromMaster(master.value, plan.crop, size, encoding);
      });
      return reply
        .headers({ ...cacheable, [RENDER_CACHE_HEADER]: answeredFrom(outcome, source) })
        .type(RENDER_CONTENT_TYPES[render.format])
        .send(picture);
    },
  );
}

function answeredFrom(outcome: CacheOutcome, source: RenderSource): (typeof RENDER_CACHE_STATES)[number] {
  return outcome === 'made' ? source : outcome;
}

/** If-None-Match: a list of ETags (weak ones compare by their opaque part) or `*`. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}
