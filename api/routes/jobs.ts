import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Job, Queue } from 'bullmq';
import type { ArtmetaConfig } from '../../service/config.ts';
import { ArtmetaError } from '../../analysis/errors.ts';
import { parseJobFailure } from '../../service/queue/job-failure.ts';
import {
  AnalyzeJobResultSchema,
  AnalyzeSubmissionSchema,
  ClusterJobDataSchema,
  ClusterJobResultSchema,
  type AnalyzeJobData,
  type AnalyzeSubmission,
  type ImageSource,
} from '../../service/queue/job-schema.ts';
import { parseAnalyzeRequest } from '../../service/request/analyze-request.ts';
import { parseSourceUrl } from '../../service/sources/url-source.ts';
import { stageUpload } from '../../service/store/analysis-cache.ts';
import type { ArtmetaQueues } from '../../service/queue/queues.ts';
import type { ResultStore } from '../../service/store/result-store.ts';
import { requestImages } from '../request-image.ts';
import { addNamedSchemas, namedRef, routeSchema, uploadBodies } from '../route-schema.ts';
import { COMMON_ERRORS, errorResponses } from './error-schema.ts';

const SubmitBodySchema = Type.Object({ images: Type.Array(AnalyzeSubmissionSchema, { minItems: 1, maxItems: 1_000 }) }, { additionalProperties: false });
const SubmittedSchema = Type.Object({ jobs: Type.Array(Type.Object({ id: Type.String() })) }, { $id: 'SubmittedJobs' });
const SubmittedClusterSchema = Type.Object({ id: Type.String() }, { $id: 'SubmittedCluster' });
const JobStateSchema = Type.Object(
  {
    id: Type.String(),
    queue: Type.String(),
    state: Type.String({ description: 'waiting, active, delayed, completed, failed…' }),
    progress: Type.Unknown(),
    attempts: Type.Integer(),
    result: Type.Optional(
      Type.Union([namedRef(AnalyzeJobResultSchema), namedRef(ClusterJobResultSchema)], { description: 'Once completed: an analyze job\'s AnalyzeJobResult or a cluster job\'s ClusterJobResult' }),
    ),
    error: Type.Optional(
      Type.Object(
        { code: Type.String(), message: Type.String() },
        {
          description:
            "Once failed: the stable code (README's table) and why. Besides the input codes: SOURCE_UNAVAILABLE, INTERNAL, UNAVAILABLE (Redis), CATALOGUE_OUTDATED (run artmeta catalogue rebuild) and CATALOGUE_INCONSISTENT (run artmeta catalogue check), retried and re-run when submitted again; STALE_SIGNATURE (a stored signature of an older build)",
        },
      ),
    ),
  },
  { $id: 'JobState' },
);

interface JobDeps {
  config: ArtmetaConfig;
  queues: ArtmetaQueues;
  store: ResultStore;
}

/** Submitting analyses and clusterings, and reading any job's state. */
export async function jobRoutes(app: FastifyInstance, { config, queues, store }: JobDeps): Promise<void> {
  addNamedSchemas(app, [SubmittedSchema, SubmittedClusterSchema, AnalyzeJobResultSchema, ClusterJobResultSchema, JobStateSchema]);
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.post(
    '/v1/jobs',
    {
      schema: routeSchema({
        tags: ['jobs'],
        operationId: 'submitJobs',
        summary: 'Queue analyses: JSON {images:[{source:{url|path}, aspects?}]}, multipart uploads or one image/* body (?aspect=…)',
        querystring: Type.Object({ aspect: Type.Optional(Type.String({ description: 'Canvases for uploads: 16:9,1:1,1280x720' })) }),
        body: { content: { 'application/json': { schema: SubmitBodySchema }, ...uploadBodies(true) } },
        response: { 202: namedRef(SubmittedSchema, 'Queued; poll GET /v1/jobs/{id}'), ...COMMON_ERRORS, ...errorResponses(413, 415, 422) },
      }),
    },
    async (request, reply) => {
      const jobs = await Promise.all((await jobsOf(request, config, store, request.query.aspect)).map((data) => queues.submitAnalyze(data.source, data.request)));
      return reply.status(202).send({ jobs: jobs.map((id) => ({ id })) });
    },
  );
  typed.post(
    '/v1/clusters',
    {
      schema: routeSchema({
        tags: ['lineages'],
        operationId: 'submitCluster',
        summary: 'Queue a clustering of images into lineages; poll GET /v1/jobs/:id',
        body: ClusterJobDataSchema,
        response: { 202: namedRef(SubmittedClusterSchema, 'Queued; poll GET /v1/jobs/{id}'), ...COMMON_ERRORS, ...errorResponses(413, 415) },
      }),
    },
    async (request, reply) => {
      checkSourceUrls(request.body.images);
      return reply.status(202).send({ id: await queues.submitCluster(request.body) });
    },
  );
  typed.get(
    '/v1/jobs/:id',
    {
      schema: routeSchema({
        tags: ['jobs'],
        operationId: 'getJob',
        summary: 'State, progress and result or error of any job',
        params: Type.Object({ id: Type.String({ maxLength: 200 }) }),
        response: { 200: namedRef(JobStateSchema, 'The job'), ...COMMON_ERRORS, ...errorResponses(404) },
      }),
    },
    async (request) => {
      const { id } = request.params;
      for (const queue of [queues.analyze, queues.cluster] as Queue[]) {
        // State first, then the job: read the other way round, a job finishing in between would
        // show as failed or completed without its error or result.
        const state = await queue.getJobState(id);
        const job = state === 'unknown' ? undefined : await queue.getJob(id);
        if (job) return describeJob(job, state);
      }
      throw new ArtmetaError('NOT_FOUND', `no job ${id} (unknown, or removed after its retention)`);
    },
  );
}

/** The jobs a submission asks for, every request parsed and valid before any job is queued. */
async function jobsOf(request: FastifyRequest, config: ArtmetaConfig, store: ResultStore, aspect: string | undefined): Promise<AnalyzeJobData[]> {
  const defaults = config.analysis.aspects;
  if (!request.isMultipart() && !Buffer.isBuffer(request.body)) {
    // A JSON image names its own canvases: a query's would be silently lost, so it is refused.
    if (aspect !== undefined) throw new ArtmetaError('INVALID_ARGUMENT', '?aspect= is for uploads; a JSON body gives each image its "aspects"');
    const images = jsonSubmission(request);
    checkSourceUrls(images.map((image) => image.source));
    return images.map(({ source, ...options }) => ({ source, request: parseAnalyzeRequest(options, defaults) }));
  }
  const analyzeRequest = parseAnalyzeRequest(aspect !== undefined ? { aspects: aspect } : {}, defaults);
  const jobs: AnalyzeJobData[] = [];
  for await (const image of requestImages(request)) {
    if (!('bytes' in image)) continue;
    if (image.bytes.length === 0) throw new ArtmetaError('EMPTY_INPUT', 'an uploaded file is empty');
    const hash = await stageUpload(store, image.bytes, config.jobs.uploadTtlSeconds);
    jobs.push({ source: { upload: hash }, request: analyzeRequest });
  }
  if (jobs.length === 0) throw new ArtmetaError('EMPTY_INPUT', 'the request holds no file');
  return jobs;
}

/** Refuses a request whose `url` sources are not all fetchable http(s) URLs (400), before any job is queued. */
function checkSourceUrls(sources: readonly ImageSource[]): void {
  for (const source of sources) if ('url' in source) parseSourceUrl(source.url);
}

/**
 * The images of a JSON submission (validated by the route's schema). The schema only sees JSON:
 * a text/plain body arrives as a string and a request without a body as nothing, so those are
 * refused here as /v1/crop-hints refuses them.
 */
function jsonSubmission(request: FastifyRequest): AnalyzeSubmission[] {
  if (typeof request.body === 'string') throw new ArtmetaError('UNSUPPORTED_FORMAT', `a ${request.headers['content-type'] ?? 'text'} body is not an image`);
  if (request.body === undefined || request.body === null) {
    throw new ArtmetaError('INVALID_ARGUMENT', 'send JSON {"images": [{"source": …}]}, multipart/form-data uploads, or one image/* body');
  }
  return (request.body as { images: AnalyzeSubmission[] }).images;
}

function describeJob(job: Job, state: string) {
  return {
    id: job.id ?? '',
    queue: job.queueName,
    state,
    progress: job.progress,
    attempts: job.attemptsMade,
    ...(state === 'completed' ? { result: job.returnvalue } : {}),
    ...(state === 'failed' ? { error: parseJobFailure(job.failedReason) } : {}),
  };
}
