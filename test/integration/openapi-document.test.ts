import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { connectAppDeps } from '../../api/app-deps.ts';
import { API_KEY, testConfig, testEnv } from './service-harness.ts';

interface Operation {
  operationId?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, { type?: string; format?: string; items?: { format?: string } }> } }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string; type?: string; format?: string } }> }>;
}
type Document = { components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; scheme?: string }> }; paths: Record<string, Record<string, Operation>> };

describe('the OpenAPI document at /docs/json', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let doc: Document;
  const operations = () => Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })));

  beforeAll(async () => {
    const config = testConfig(testEnv(inject('redisUrl'), { ARTMETA_RENDER_KEY: 'r'.repeat(32) }));
    // The document needs no analysis: an analyser that is never called, instead of a thread pool.
    const deps = await connectAppDeps(config, { analyze: () => Promise.reject(new Error('not used')), close: async () => {} });
    close = deps.close;
    app = await buildApp(config, { ...deps, logger: false });
    doc = (await app.inject({ url: '/docs/json', headers: { 'x-api-key': API_KEY } })).json<Document>();
  });

  afterAll(async () => {
    await app?.close();
    await close?.();
  });

  it('is a valid OpenAPI document whose references all resolve (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it("types a job's result as the analyze or cluster result the queue holds (it was any value, named only in a description)", () => {
    const jobState = doc.components.schemas.JobState as { properties: { result: { anyOf?: { $ref: string }[] } } };
    expect(jobState.properties.result.anyOf).toEqual([{ $ref: '#/components/schemas/AnalyzeJobResult' }, { $ref: '#/components/schemas/ClusterJobResult' }]);
    expect(doc.components.schemas.AnalyzeJobResult).toMatchObject({ required: ['hash', 'cached', 'analysis'] });
    expect(doc.components.schemas.ClusterJobResult).toMatchObject({ required: ['lineages', 'failed'] });
  });

  it('names every operation once', () => {
    const ids = operations().map(({ name, op }) => op.operationId ?? name);
    expect(ids.every((id) => /^[a-zA-Z]+$/.test(id)), ids.join(' ')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('offers the Basic scheme beside the API key and the Bearer token', () => {
    expect(doc.components.securitySchemes).toMatchObject({ apiKey: { type: 'apiKey' }, bearer: { type: 'http', scheme: 'bearer' }, basic: { type: 'http', scheme: 'basic' } });
  });

  it('describes the uploads of POST /v1/crop-hints and POST /v1/jobs as multipart file fields (binary), as Swagger UI and generated clients need', () => {
    const file = (path: string) => doc.paths[path]!.post!.requestBody?.content['multipart/form-data']?.schema.properties?.file;
    expect(file('/v1/crop-hints')).toMatchObject({ type: 'string', format: 'binary' });
    expect(file('/v1/jobs')).toMatchObject({ type: 'array', items: { format: 'binary' } });
    expect(doc.paths['/v1/crop-hints']!.post!.requestBody?.content['image/*']?.schema).toMatchObject({ format: 'binary' });
    expect(Object.keys(doc.paths['/v1/jobs']!.post!.requestBody!.content)).toContain('application/json');
  });

  it('gives every response a description and a named schema, and lists the statuses each route answers with', () => {
    for (const { name, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.description, `${name} ${status}`).not.toBe('Default Response');
        const json = response.content?.['application/json']?.schema;
        if (json) expect(json.$ref, `${name} ${status}`).toMatch(/^#\/components\/schemas\/[A-Z]\w+$/);
      }
      const statuses = Object.keys(op.responses);
      if (op.security?.length !== 0) expect(statuses, name).toEqual(expect.arrayContaining(['401', '500', '503']));
    }
    expect(Object.keys(doc.paths['/readyz']!.get!.responses)).toEqual(['200', '503']);
    expect(Object.keys(doc.paths['/render/{path}']!.get!.responses)).toEqual(expect.arrayContaining(['200', '304', '400', '403', '404', '502']));
    expect(Object.keys(doc.paths['/render/{path}']!.get!.responses['200']!.content!)).toEqual(['image/jpeg', 'image/webp', 'image/avif', 'image/png']);
    expect(Object.keys(doc.paths['/v1/crop-hints']!.post!.responses)).toEqual(expect.arrayContaining(['200', '400', '404', '413', '415', '422', '502']));
    // A JSON body over 1 MiB is 413 and a body of another media type (application/xml) 415, on every POST route.
    expect(Object.keys(doc.paths['/v1/jobs']!.post!.responses)).toEqual(expect.arrayContaining(['202', '400', '413', '415', '422']));
    expect(Object.keys(doc.paths['/v1/clusters']!.post!.responses)).toEqual(expect.arrayContaining(['202', '400', '413', '415']));
  });
});
