import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BoxSchema, PointSchema } from '../../analysis/analysis-schema.ts';
import { ContentHashSchema } from '../../service/queue/job-schema.ts';
import type { CropHintService } from '../crop-hint-service.ts';
import { singleRequestImage } from '../request-image.ts';
import { routeSchema } from '../route-schema.ts';
import { COMMON_ERRORS, ErrorBodySchema } from './error-schema.ts';

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

/** Crop hints now: for an upload or URL (stored or analysed at once) and for an analysed image by hash. */
export async function cropHintRoutes(app: FastifyInstance, { service }: { service: CropHintService }): Promise<void> {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.post(
    '/v1/crop-hints',
    {
      schema: routeSchema({
        tags: ['crop hints'],
        summary: 'Crop hints for an uploaded image (multipart or image/* body) or JSON {"url": …}',
        consumes: ['multipart/form-data', 'image/jpeg', 'image/png', 'image/webp', 'application/octet-stream', 'application/json'],
        querystring: AspectQuery,
        response: { 200: CropHintsSchema, ...COMMON_ERRORS, 413: ErrorBodySchema, 415: ErrorBodySchema, 422: ErrorBodySchema },
      }),
    },
    async (request) => service.forImage(await singleRequestImage(request), service.aspects(request.query.aspect)),
  );
  typed.get(
    '/v1/images/:hash/crop-hints',
    {
      schema: routeSchema({
        tags: ['crop hints'],
        summary: 'Crop hints of an analysed image (one Redis read)',
        params: Type.Object({ hash: ContentHashSchema }),
        querystring: AspectQuery,
        response: { 200: CropHintsSchema, ...COMMON_ERRORS, 404: ErrorBodySchema },
      }),
    },
    async (request) => service.forKnown(request.params.hash, service.aspects(request.query.aspect)),
  );
}
