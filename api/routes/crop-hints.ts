import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BoxSchema, PointSchema } from '../../analysis/analysis-schema.ts';
import { ContentHashSchema } from '../../service/queue/job-schema.ts';
import { ArtmetaError } from '../../analysis/errors.ts';
import type { AnalysisAnswer, AnalysisCache } from '../../service/store/analysis-cache.ts';
import { parseAnalyzeRequest } from '../../service/request/analyze-request.ts';
import { singleRequestImage, UrlBodySchema } from '../request-image.ts';
import { addNamedSchemas, namedRef, routeSchema, uploadBodies } from '../route-schema.ts';
import { COMMON_ERRORS, errorResponses } from './error-schema.ts';

const CropHintsSchema = Type.Object(
  {
    hash: ContentHashSchema,
    cached: Type.Boolean(),
    width: Type.Integer(),
    height: Type.Integer(),
    focalPoint: PointSchema,
    crops: Type.Record(Type.String(), BoxSchema),
  },
  { $id: 'CropHints' },
);
const AspectQuery = Type.Object({
  aspect: Type.Optional(Type.String({ description: 'Comma-separated canvases: 16:9,1:1,1280x720', examples: ['16:9,1:1'] })),
});

interface CropHintDeps {
  cache: AnalysisCache;
  /** Canvases when `?aspect=` gives none (ARTMETA_ASPECTS). */
  defaultCanvases: readonly string[];
}

/**
 * Crop hints now: for an upload or URL (from the store when the bytes are known, else analysed at
 * once on the API's analysis threads and stored), and for an analysed image by hash.
 */
export async function cropHintRoutes(app: FastifyInstance, { cache, defaultCanvases }: CropHintDeps): Promise<void> {
  addNamedSchemas(app, [CropHintsSchema]);
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  const requestOf = (aspect: string | undefined) => parseAnalyzeRequest(aspect !== undefined ? { aspects: aspect } : {}, defaultCanvases);
  typed.post(
    '/v1/crop-hints',
    {
      schema: routeSchema({
        tags: ['crop hints'],
        operationId: 'cropHintsForImage',
        summary: 'Crop hints for an uploaded image (multipart or image/* body) or JSON {"url": …}',
        description: 'From the store when these bytes were analysed before (`cached: true`), else analysed at once and stored.',
        querystring: AspectQuery,
        body: { content: { ...uploadBodies(false), 'application/json': { schema: UrlBodySchema } } },
        response: { 200: namedRef(CropHintsSchema, 'Crop hints per canvas'), ...COMMON_ERRORS, ...errorResponses(404, 413, 415, 422, 502) },
      }),
    },
    async (request) => {
      const wanted = requestOf(request.query.aspect);
      const image = await singleRequestImage(request);
      return cropHints(await ('bytes' in image ? cache.forBytes(image.bytes, wanted) : cache.forSource(image, wanted)));
    },
  );
  typed.get(
    '/v1/images/:hash/crop-hints',
    {
      schema: routeSchema({
        tags: ['crop hints'],
        operationId: 'cropHintsOfKnownImage',
        summary: 'Crop hints of an analysed image (one Redis read)',
        params: Type.Object({ hash: ContentHashSchema }),
        querystring: AspectQuery,
        response: { 200: namedRef(CropHintsSchema, 'Crop hints per canvas'), ...COMMON_ERRORS, ...errorResponses(404) },
      }),
    },
    async (request) => {
      const known = await cache.known(request.params.hash, requestOf(request.query.aspect));
      if (!known) throw new ArtmetaError('NOT_FOUND', `image ${request.params.hash} has not been analysed`);
      return cropHints(known);
    },
  );
}

function cropHints({ hash, cached, analysis }: AnalysisAnswer) {
  return { hash, cached, width: analysis.width, height: analysis.height, focalPoint: analysis.focalPoint, crops: analysis.crops };
}
