import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AnalysisSchema } from '../../analysis/analysis-schema.ts';
import { ArtmetaError } from '../../analysis/errors.ts';
import { ContentHashSchema, LineageSchema } from '../../service/queue/job-schema.ts';
import type { ResultStore } from '../../service/store/result-store.ts';
import { routeSchema } from '../route-schema.ts';
import { COMMON_ERRORS, ErrorBodySchema } from './error-schema.ts';

/** Stored results: an image's analysis, signature and lineage, and a lineage's members. */
export async function imageRoutes(app: FastifyInstance, { store }: { store: ResultStore }): Promise<void> {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.get(
    '/v1/images/:hash',
    {
      schema: routeSchema({
        tags: ['images'],
        params: Type.Object({ hash: ContentHashSchema }),
        response: {
          200: Type.Object({ hash: ContentHashSchema, analysis: AnalysisSchema, signature: Type.Optional(Type.String()), lineage: Type.Optional(Type.String()) }),
          ...COMMON_ERRORS,
          404: ErrorBodySchema,
        },
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
        params: Type.Object({ id: Type.String({ pattern: '^[\\w-]{1,80}$' }) }),
        response: { 200: LineageSchema, ...COMMON_ERRORS, 404: ErrorBodySchema },
      }),
    },
    async (request) => {
      const lineage = await store.getLineage(request.params.id);
      if (!lineage) throw new ArtmetaError('NOT_FOUND', `no lineage ${request.params.id}`);
      return lineage;
    },
  );
}
