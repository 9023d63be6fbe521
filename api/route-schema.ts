/**
 * A route schema with every `$id` removed. The shared TypeBox schemas name their parts (`Box`,
 * `Point`…) for OpenAPI, but one response often embeds the same part twice, and Fastify's
 * serializer refuses a schema in which an `$id` occurs more than once.
 */
export function routeSchema<T extends object>(schema: T): T {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) => (key === '$id' ? undefined : value)) as T;
}
