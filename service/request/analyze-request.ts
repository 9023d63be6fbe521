import { Type } from '@sinclair/typebox';
import { parseCanvasList } from '../../analysis/crop/canvas-spec.ts';
import { ArtmetaError } from '../../analysis/errors.ts';
import { parsePlacementSpec, type PlacementRequest } from '../../analysis/text/placement-spec.ts';

/** More canvases than this in one request is a mistake or an abuse, not a use. */
const MAX_CANVASES = 32;

/** The options of one analysis as a client writes them: API JSON, `?aspect=`, CLI flags. */
export const AnalyzeOptionsSchema = Type.Object({
  aspects: Type.Optional(
    Type.Array(Type.String({ maxLength: 32 }), { maxItems: MAX_CANVASES, description: 'Canvases to give crop hints for, e.g. ["16:9","1280x720"]; default: ARTMETA_ASPECTS' }),
  ),
  text: Type.Optional(Type.Boolean({ description: 'Return the text regions (default true); every analysis detects text, this only shapes the answer' })),
  place: Type.Optional(Type.String({ maxLength: 64, description: 'Find a text-safe placement of a box: WxH[@anchors], e.g. 300x80 or 20%x8%@corners' })),
});

/**
 * One analysis request in its parsed, valid form: what the job carries, what the answer is shaped
 * by and what names the job. Plain JSON, so it crosses the queue and thread boundaries as is.
 */
export interface AnalyzeRequest {
  /** Canvas labels (`16:9`, `1280x720`), valid and without repeats; never empty. */
  canvases: string[];
  /** Whether the answer carries the text regions. */
  text: boolean;
  /** Where a new box should go, if asked. */
  place?: PlacementRequest;
}

/**
 * Parses and validates a request's options once, at its entry point (CLI, POST /v1/jobs JSON or
 * multipart, POST /v1/crop-hints); throws INVALID_ARGUMENT naming the bad option.
 */
export function parseAnalyzeRequest(
  options: { aspects?: string | readonly string[]; text?: boolean; place?: string },
  defaultCanvases: readonly string[],
): AnalyzeRequest {
  const asked = typeof options.aspects === 'string' ? options.aspects.split(',') : options.aspects;
  const canvases = parseCanvasList(asked && asked.length > 0 ? asked : defaultCanvases).map((c) => c.label);
  if (canvases.length > MAX_CANVASES) throw new ArtmetaError('INVALID_ARGUMENT', `at most ${MAX_CANVASES} canvases per request`);
  return {
    canvases,
    text: options.text ?? true,
    ...(options.place !== undefined ? { place: parsePlacementSpec(options.place) } : {}),
  };
}
