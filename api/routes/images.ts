import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AnalysisSchema } from '../../analysis/analysis-schema.ts';
import { ArtmetaError } from '../../analysis/errors.ts';
import type { CatalogueIndex } from '../../service/catalogue/catalogue-index.ts';
import { ContentHashSchema, LineageSchema } from '../../service/queue/job-schema.ts';
import type { ResultStore } from '../../service/store/result-store.ts';
import { addNamedSchemas, namedRef, routeSchema } from '../route-schema.ts';
import { COMMON_ERRORS, errorResponses } from './error-schema.ts';

const StoredImageSchema = Type.Object(
  { hash: ContentHashSchema, lineage: Type.Union([Type.String(), Type.Null()], { description: 'Its lineage in the catalogue; null while in none' }), analysis: AnalysisSchema },
  { $id: 'StoredImage', description: 'An analysed image: its analysis and its lineage' },
);

const RemovedImageSchema = Type.Object(
  {
    hash: ContentHashSchema,
    lineage: Type.Union([Type.String(), Type.Null()], { description: 'The lineage it was in' }),
    lineageRemoved: Type.Boolean({ description: 'It was the last member: the lineage is gone' }),
  },
  { $id: 'RemovedImage' },
);

const HashParams = Type.Object({ hash: ContentHashSchema });

/** Stored results: an image's analysis and lineage, a lineage's members; deleting an image. */
export async function imageRoutes(app: FastifyInstance, { store, catalogue }: { store: ResultStore; catalogue: CatalogueIndex }): Promise<void> {
  addNamedSchemas(app, [StoredImageSchema, RemovedImageSchema, LineageSchema]);
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.get(
    '/v1/images/:hash',
    {
      schema: routeSchema({
        tags: ['images'],
        operationId: 'getImage',
        summary: 'The stored analysis of an image and its lineage in the catalogue',
        params: HashParams,
        response: { 200: namedRef(StoredImageSchema, 'The stored image'), ...COMMON_ERRORS, ...errorResponses(404) },
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
        operationId: 'deleteImage',
        summary: 'Remove an image from the store and the lineage catalogue; its lineage keeps its id unless it was the last member',
        params: HashParams,
        response: { 200: namedRef(RemovedImageSchema, 'The image is gone'), ...COMMON_ERRORS, ...errorResponses(404) },
      }),
    },
    async (request) => {
      const { hash } = request.params;
      const removed = await catalogue.deleteImage(hash);
      if (!removed.lineage && !removed.stored) throw new ArtmetaError('NOT_FOUND', `image ${hash} is not in the catalogue`);
      return { hash, lineage: removed.lineage ?? null, lineageRemoved: removed.lineageRemoved };
    },
  );
  typed.get(
    '/v1/lineages/:id',
    {
      schema: routeSchema({
        tags: ['lineages'],
        operationId: 'getLineage',
        summary: 'A lineage: its representative and exactly its members now',
        params: Type.Object({ id: Type.String({ pattern: '^[\\w-]{1,80}$' }) }),
        response: { 200: namedRef(LineageSchema, 'The lineage'), ...COMMON_ERRORS, ...errorResponses(404) },
      }),
    },
    async (request) => {
      const lineage = await catalogue.lineage(request.params.id);
      if (!lineage) throw new ArtmetaError('NOT_FOUND', `no lineage ${request.params.id}`);
      return lineage;
    },
  );
}
