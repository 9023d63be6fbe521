import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AnalysisSchema } from '../../analysis/analysis-schema.ts';
import { ArtmetaError } from '../../analysis/errors.ts';
import { ContentHashSchema, LineageSchema } from '../../service/queue/job-schema.ts';
import type { ResultStore } from '../../service/store/result-store.ts';
import { addNamedSchemas, namedRef, routeSchema } from '../route-schema.ts';
import { COMMON_ERRORS, errorResponses } from './error-schema.ts';

const StoredImageSchema = Type.Object(
  { hash: ContentHashSchema, analysis: AnalysisSchema, signature: Type.Optional(Type.String()), lineage: Type.Optional(Type.String()) },
  { $id: 'StoredImage', description: 'What the store holds for one image: its analysis, lineage signature (base64) and lineage' },
);

/** Stored results: an image's analysis, signature and lineage, and a lineage's members. */
export async function imageRoutes(app: FastifyInstance, { store }: { store: ResultStore }): Promise<void> {
  addNamedSchemas(app, [StoredImageSchema, LineageSchema]);
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.get(
    '/v1/images/:hash',
    {
      schema: routeSchema({
        tags: ['images'],
        operationId: 'getImage',
        summary: 'The stored analysis, signature and lineage of an image',
        params: Type.Object({ hash: ContentHashSchema }),
        response: { 200: namedRef(StoredImageSchema, 'The stored image'), ...COMMON_ERRORS, ...errorResponses(404) },
      }),
    },
    async (request) => {
      const stored = await store.get(request.params.hash);
      if (!stored) throw new ArtmetaError('NOT_FOUND', `image ${request.params.hash} has not been analysed`);
      return { hash: request.params.hash, ...stored };
    },
  );
  typed.get(
    '/v1/lineages/:id',
    {
      schema: routeSchema({
        tags: ['lineages'],
        operationId: 'getLineage',
        summary: 'The members of a lineage',
        params: Type.Object({ id: Type.String({ pattern: '^[\\w-]{1,80}$' }) }),
        response: { 200: namedRef(LineageSchema, 'The lineage'), ...COMMON_ERRORS, ...errorResponses(404) },
      }),
    },
    async (request) => {
      const lineage = await store.getLineage(request.params.id);
      if (!lineage) throw new ArtmetaError('NOT_FOUND', `no lineage ${request.params.id}`);
      return lineage;
    },
  );
}
