import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

/**
 * A route schema with every `$id` removed. The shared TypeBox schemas name their parts (`Box`,
 * `Point`…) for OpenAPI, but one response often embeds the same part twice, and Fastify's
 * serializer refuses a schema in which an `$id` occurs more than once.
 */
export function routeSchema<T extends object>(schema: T): T {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) => (key === '$id' ? undefined : value)) as T;
}

/**
 * Registers schemas on a plugin's instance under their `$id`, which the OpenAPI document keeps as
 * their name (`#/components/schemas/<$id>`); their parts are inlined (see `routeSchema`).
 */
export function addNamedSchemas(app: FastifyInstance, schemas: readonly (TSchema & { $id?: string })[]): void {
  for (const schema of schemas) {
    if (!schema.$id) throw new Error('assertion failed: a named schema needs an $id (a bug in a route, met at start)');
    if (!app.getSchema(schema.$id)) app.addSchema({ ...routeSchema(schema), $id: schema.$id });
  }
}

/** A reference to a schema registered by `addNamedSchemas`, typed as the schema; `description` describes the response. */
export function namedRef<T extends TSchema>(schema: T, description?: string): TUnsafe<Static<T>> {
  return Type.Unsafe<Static<T>>({ $ref: `${schema.$id}#`, ...(description ? { description } : {}) });
}

const BinarySchema = { type: 'string', format: 'binary' } as const;

/**
 * The upload bodies of a route, for OpenAPI clients and Swagger UI's "Try it out" (a file field).
 * They validate nothing: @fastify/multipart streams the parts to the handler and leaves the body
 * empty (null, hence `nullable`), and a raw `image/*` body (a Buffer) matches no exact media type
 * Fastify validates by; the handler reads and checks both, with their size limits.
 */
export function uploadBodies(multiple: boolean): Record<string, { schema: object }> {
  const file = multiple ? { type: 'array', items: BinarySchema, description: 'One or more images' } : { ...BinarySchema, description: 'The image' };
  return {
    'multipart/form-data': { schema: { type: 'object', nullable: true, required: ['file'], properties: { file } } },
    'image/*': { schema: { ...BinarySchema, description: 'The image as the whole body (application/octet-stream also accepted)' } },
  };
}
