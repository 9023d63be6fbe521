import { Type, type Static } from '@sinclair/typebox';
import { PLACEMENT_EVIDENCE_MAX } from './text/placement.ts';

/**
 * The JSON shape of one analysed image: what `artmeta analyze` prints per line, what a queue job
 * returns and what the API serves. One schema, used for types, validation and OpenAPI alike.
 * Every box and point is in pixels of the image as displayed (EXIF orientation applied).
 *
 * Key order is the schema's: the API's serializer (fast-json-stringify) writes an object's required
 * properties first, so each object lists its optional ones last, and the analysis builds its
 * objects in that order, which is what `JSON.stringify` writes in the CLI. Both print one analysis
 * alike (test/unit/analysis-key-order.test.ts); only the CLI's `file` comes first in its lines.
 */
export const BoxSchema = Type.Object(
  {
    x: Type.Integer({ minimum: 0 }),
    y: Type.Integer({ minimum: 0 }),
    w: Type.Integer({ minimum: 0 }),
    h: Type.Integer({ minimum: 0 }),
  },
  { $id: 'Box', description: 'Rectangle in displayed pixels: top-left corner, width, height' },
);

export const PointSchema = Type.Object({ x: Type.Integer({ minimum: 0 }), y: Type.Integer({ minimum: 0 }) }, { $id: 'Point' });

const ShotSchema = Type.Union(
  [Type.Literal('close-up'), Type.Literal('upper-body'), Type.Literal('full-body'), Type.Literal('none')],
  {
    $id: 'Shot',
    description:
      "Framing of a person: how much of them is seen below the face (close-up: head and shoulders; upper-body: to the chest, waist or thigh; full-body: head to foot, or nearly). 'none' for an image without people.",
  },
);

const PersonSchema = Type.Object(
  {
    box: BoxSchema,
    shot: ShotSchema,
    score: Type.Number({ minimum: 0, maximum: 1, description: 'How interesting this person is; the subject (roi) is the highest-scoring person in focus' }),
    face: Type.Optional(BoxSchema),
  },
  { $id: 'Person' },
);

export const ErrorSchema = Type.Object(
  { code: Type.String(), message: Type.String() },
  { $id: 'AnalysisError', description: 'Why an image could not be analysed; code is stable' },
);

const TextRegionSchema = Type.Object({
  x: Type.Integer({ minimum: 0 }),
  y: Type.Integer({ minimum: 0 }),
  w: Type.Integer({ minimum: 0 }),
  h: Type.Integer({ minimum: 0 }),
  probability: Type.Number({ minimum: 0, maximum: 1 }),
});

const TextSchema = Type.Object(
  {
    probability: Type.Number({ minimum: 0, maximum: 1, description: 'Probability that the image holds text' }),
    regions: Type.Array(TextRegionSchema, { description: 'Line-level text boxes' }),
    evidence: Type.Optional(
      Type.Array(TextRegionSchema, {
        maxItems: PLACEMENT_EVIDENCE_MAX,
        description:
          'Candidate lines not reported as text (probability < 0.5, or any line of an image not said to hold text), likeliest first: placement keeps clear of them where it can. Absent in analyses stored before it was kept (their placements avoid the regions only)',
      }),
    ),
  },
  { $id: 'Text' },
);

const PlacementSchema = Type.Object(
  {
    fits: Type.Boolean(),
    score: Type.Number({ minimum: 0, maximum: 1 }),
    box: Type.Optional(BoxSchema),
    anchor: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
  },
  { $id: 'Placement' },
);

export const AnalysisSchema = Type.Object(
  {
    file: Type.Optional(Type.String()),
    width: Type.Integer({ minimum: 1 }),
    height: Type.Integer({ minimum: 1 }),
    focalPoint: PointSchema,
    roi: BoxSchema,
    method: Type.Union([Type.Literal('people'), Type.Literal('edges')]),
    shot: ShotSchema,
    people: Type.Array(PersonSchema),
    crops: Type.Record(Type.String(), BoxSchema, { description: 'Crop rectangle per requested canvas' }),
    keep: Type.Array(BoxSchema, {
      description: 'What crops keep, most wanted first: each crop keeps the first box that fits it whole; crops for other canvases are computed from these alone',
    }),
    text: Type.Optional(TextSchema),
    placement: Type.Optional(PlacementSchema),
  },
  { $id: 'Analysis' },
);

/** A failed image in a batch: the run goes on, the line says why. */
export const FailedAnalysisSchema = Type.Object({ file: Type.Optional(Type.String()), error: ErrorSchema }, { $id: 'FailedAnalysis' });

export type Analysis = Static<typeof AnalysisSchema>;
export type FailedAnalysis = Static<typeof FailedAnalysisSchema>;
export type Shot = Static<typeof ShotSchema>;
export type TextResult = Static<typeof TextSchema>;
export type PlacementResult = Static<typeof PlacementSchema>;
