import type { TSchema } from '@sinclair/typebox';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { analyzeImage } from '../../analysis/analyze-image.ts';
import { AnalysisSchema } from '../../analysis/analysis-schema.ts';
import { parsePlacementSpec } from '../../analysis/text/placement-spec.ts';
import { routeSchema } from '../../api/route-schema.ts';
import { fixture } from '../support/fixtures.ts';

/** Every object schema in `schema` with its path, arrays and records walked into. */
function objectSchemas(schema: TSchema, path: string, out: { path: string; schema: TSchema }[] = []): { path: string; schema: TSchema }[] {
  if (schema.type === 'object' && schema.properties) {
    out.push({ path, schema });
    for (const [name, property] of Object.entries(schema.properties as Record<string, TSchema>)) objectSchemas(property, `${path}.${name}`, out);
  }
  if (schema.items) objectSchemas(schema.items as TSchema, `${path}[]`, out);
  for (const value of Object.values((schema.patternProperties ?? {}) as Record<string, TSchema>)) objectSchemas(value, `${path}{}`, out);
  for (const option of (schema.anyOf ?? []) as TSchema[]) objectSchemas(option, path, out);
  return out;
}

describe('one key order for an analysis, in the CLI and in the API', () => {
  it("lists every object's required properties before its optional ones, the order the API's serializer writes", () => {
    for (const { path, schema } of objectSchemas(AnalysisSchema, 'analysis')) {
      const required = new Set((schema.required ?? []) as string[]);
      // The CLI's own `file` leads its lines; no API answer has it.
      const names = Object.keys(schema.properties as object).filter((name) => !(path === 'analysis' && name === 'file'));
      const requiredFirst = [...names].sort((a, b) => Number(required.has(b)) - Number(required.has(a)));
      expect(names, path).toEqual(requiredFirst);
    }
  });

  it('prints an analysis with faces and a placement byte for byte as the API serializes it (people put face first in the CLI, last in the API)', async () => {
    const analysis = await analyzeImage(fixture('group-of-three.jpg'), { text: false, place: parsePlacementSpec('20%x8%@corners') });
    expect(analysis.people.some((p) => p.face)).toBe(true);
    expect(analysis.placement?.fits).toBe(true);
    const app = Fastify();
    app.get('/analysis', { schema: { response: { 200: routeSchema(AnalysisSchema) } } }, () => analysis);
    const served = await app.inject({ url: '/analysis' });
    await app.close();
    expect(served.body).toBe(JSON.stringify(analysis));
  }, 60_000);
});
