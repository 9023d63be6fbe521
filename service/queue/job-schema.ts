import { Type, type Static } from '@sinclair/typebox';
import { AnalysisSchema, ErrorSchema } from '../../analysis/analysis-schema.ts';
import { AnalyzeOptionsSchema, type AnalyzeRequest } from '../request/analyze-request.ts';

/**
 * The shapes on the queue, shared by the worker (job data it reads, results it returns) and the API
 * (request validation and OpenAPI), so both sides agree by construction.
 */
export const ANALYZE_QUEUE = 'analyze';
export const CLUSTER_QUEUE = 'cluster';

export const ContentHashSchema = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the image bytes, hex' });

const ImageSourceSchema = Type.Union(
  [
    Type.Object({ url: Type.String({ format: 'uri', maxLength: 4096, description: 'http(s) URL the worker downloads' }) }, { additionalProperties: false }),
    Type.Object({ path: Type.String({ minLength: 1, maxLength: 4096, description: 'File under one of ARTMETA_PATH_ROOTS' }) }, { additionalProperties: false }),
    Type.Object({ upload: ContentHashSchema }, { additionalProperties: false, description: 'Bytes uploaded through the API' }),
  ],
  { $id: 'ImageSource' },
);

/** One image to analyse as a client submits it (POST /v1/jobs JSON): parsed into an AnalyzeJobData. */
export const AnalyzeSubmissionSchema = Type.Composite([Type.Object({ source: ImageSourceSchema }), AnalyzeOptionsSchema], {
  $id: 'AnalyzeSubmission',
});

/** What an analyze job carries: where the image is and the request, parsed and valid. */
export interface AnalyzeJobData {
  source: ImageSource;
  request: AnalyzeRequest;
}

/**
 * A source as a worker checks it: one of the three kinds with a string, whose value the loader checks
 * (ImageSourceSchema's `uri` format is Ajv's, which the worker's TypeBox check does not know).
 */
function JobSourceSchema() {
  return Type.Union([Type.Object({ url: Type.String() }), Type.Object({ path: Type.String() }), Type.Object({ upload: Type.String() })]);
}

/**
 * The shape a worker checks an analyze job's data against before it runs it: jobs are written by
 * ArtmetaQueues, but one added by hand, or by a build with another job shape, must fail as bad input
 * (INVALID_ARGUMENT, at once), not as a crash retried as INTERNAL. The request's values are checked
 * where they are used (a canvas label by the crop geometry).
 */
export const AnalyzeJobDataCheck = Type.Object({
  source: JobSourceSchema(),
  request: Type.Object({
    canvases: Type.Array(Type.String(), { minItems: 1 }),
    text: Type.Boolean(),
    place: Type.Optional(Type.Object({ width: Type.Object({}), height: Type.Object({}), anchors: Type.Array(Type.String()) })),
  }),
});

export const AnalyzeJobResultSchema = Type.Object(
  {
    hash: ContentHashSchema,
    /** True when the result came from the store: the same bytes had been analysed before. */
    cached: Type.Boolean(),
    analysis: AnalysisSchema,
    /** The image's lineage in the catalogue (absent when no lineage signature was computed). */
    lineage: Type.Optional(Type.String()),
  },
  { $id: 'AnalyzeJobResult' },
);

export const ClusterJobDataSchema = Type.Object(
  { images: Type.Array(ImageSourceSchema, { minItems: 1, maxItems: 10_000 }) },
  { $id: 'ClusterJobData' },
);

/** A cluster job's data as a worker checks it (see AnalyzeJobDataCheck). */
export const ClusterJobDataCheck = Type.Object({ images: Type.Array(JobSourceSchema(), { minItems: 1 }) });

export const LineageSchema = Type.Object(
  {
    id: Type.String(),
    representative: Type.String({ description: 'The image members are verified against; stays the anchor after it is deleted' }),
    members: Type.Array(ContentHashSchema, { description: 'Every image of the lineage in the catalogue, sorted' }),
  },
  { $id: 'Lineage', description: 'Images derived from one background image' },
);

export const ClusterJobResultSchema = Type.Object(
  {
    images: Type.Optional(
      Type.Array(Type.Object({ source: ImageSourceSchema, hash: ContentHashSchema, lineage: Type.String() }), {
        description: 'Each image added, in the order given: its content hash and its lineage (images that failed are in `failed`; absent from results of jobs finished by an earlier version)',
      }),
    ),
    lineages: Type.Array(LineageSchema),
    failed: Type.Array(Type.Object({ source: ImageSourceSchema, error: ErrorSchema })),
  },
  { $id: 'ClusterJobResult' },
);

export type ImageSource = Static<typeof ImageSourceSchema>;
export type AnalyzeSubmission = Static<typeof AnalyzeSubmissionSchema>;
export type AnalyzeJobResult = Static<typeof AnalyzeJobResultSchema>;
export type ClusterJobData = Static<typeof ClusterJobDataSchema>;
export type ClusterJobResult = Static<typeof ClusterJobResultSchema>;
