import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AnalysisSchema } from '../../analysis/analysis-schema.ts';
import { ArtmetaError } from '../../analysis/errors.ts';
import type { CatalogueIndex } from '../../service/catalogue/catalogue-index.ts';
import { ContentHashSchema, LineageSchema } from '../../service/queue/job-schema.ts';
import type { ResultStore } from '../../service/store/result-store.ts';
import { routeSchema } from '../route-schema.ts';
import { COMMON_ERRORS, ErrorBodySchema } from './error-schema.ts';

const HashParams = Type.Object({ hash: ContentHashSchema });

/** Stored results: an image's analysis and lineage, a lineage's members; deleting an image. */
export async function imageRoutes(app: FastifyInstance, { store, catalogue }: { store: ResultStore; catalogue: CatalogueIndex }): Promise<void> {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.get(
    '/v1/images/:hash',
    {
      schema: routeSchema({
        tags: ['images'],
        params: HashParams,
        response: {
          200: Type.Object({ hash: ContentHashSchema, lineage: Type.Union([Type.String(), Type.Null()]), analysis: AnalysisSchema }),
          ...COMMON_ERRORS,
          404: ErrorBodySchema,
        },
      }),
    },
    async (request) => {
      const { hash } = request.params;
      const [analysis, lineage] = await Promise.all([store.getAnalysis(hash), catalogue.lineageOf(hash)]);
      if (!analysis) throw new ArtmetaError('NOT_FOUND', `image ${hash} has not been analysed`);
      return { hash, lineage: lineage ?? null, analysis };
    },
  );
  typed.delete(
    '/v1/images/:hash',
    {
      schema: routeSchema({
        tags: ['images'],
        summary: 'Remove an image from the store and the lineage catalogue; its lineage keeps its id unless it was the last member',
        params: HashParams,
        response: {
          200: Type.Object({ hash: ContentHashSchema, lineage: Type.Union([Type.String(), Type.Null()]), lineageRemoved: Type.Boolean() }),
          ...COMMON_ERRORS,
          404: ErrorBodySchema,
        },
      }),
    },
    async (request) => {
      const { hash } = request.params;
      // The index first: an image gone from the store but left in the index would be a member nobody can delete.
      const removed = await catalogue.remove(hash);
      const stored = await store.delete(hash);
      if (!removed && !stored) throw new ArtmetaError('NOT_FOUND', `image ${hash} is not in the catalogue`);
      return { hash, lineage: removed?.lineage ?? null, lineageRemoved: removed?.lineageRemoved ?? false };
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
      const lineage = await catalogue.lineage(request.params.id);
      if (!lineage) throw new ArtmetaError('NOT_FOUND', `no lineage ${request.params.id}`);
      return lineage;
    },
  );
}
