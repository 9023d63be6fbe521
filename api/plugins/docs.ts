import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** OpenAPI generated from the route schemas (the same TypeBox schemas the worker uses), served at /docs. */
export async function installDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: { title: 'artmeta', description: 'Focal points, crop hints, text regions and lineages of images', version: '1' },
      components: {
        // The three ways api/plugins/auth.ts accepts a key; any one of them will do.
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer', description: 'The API key as a Bearer token' },
          basic: { type: 'http', scheme: 'basic', description: 'The API key as the password, any user name (what a browser sends)' },
        },
      },
      security: [{ apiKey: [] }, { bearer: [] }, { basic: [] }],
    },
    // Shared schemas keep their `$id` as their name in components/schemas (the default numbers them).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  // No validator badge: Swagger UI would send the document to validator.swagger.io (the page must work offline).
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { validatorUrl: null } });
}
