import { ArtmetaError } from '../errors.ts';

/** A requested output canvas: an aspect ratio (`16:9`) or a pixel size (`1280x720`). */
export interface CanvasSpec {
  /** The spec as asked, used as the key in `crops`. */
  label: string;
  /** Width divided by height. */
  aspect: number;
}

export const DEFAULT_CANVASES = ['16:9', '1:1', '2:3', '9:16', '4:5'];

const RATIO = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/;
const PIXELS = /^(\d+)x(\d+)$/i;
/** Longest side over shortest a canvas may have: a guard against nonsense specs (a crop 1 px thin), not a tuned value. */
const MAX_CANVAS_ASPECT = 100;

/** Parses one canvas spec; throws INVALID_ARGUMENT for anything else. */
export function parseCanvasSpec(spec: string): CanvasSpec {
  const label = spec.trim();
  const match = RATIO.exec(label) ?? PIXELS.exec(label);
  const w = match ? Number(match[1]) : NaN;
  const h = match ? Number(match[2]) : NaN;
  if (!(w > 0 && h > 0) || w / h > MAX_CANVAS_ASPECT || h / w > MAX_CANVAS_ASPECT) {
    throw new ArtmetaError('INVALID_ARGUMENT', `bad canvas "${spec}": use W:H (16:9) or pixels (1280x720), at most ${MAX_CANVAS_ASPECT}:1`);
  }
  return { label, aspect: w / h };
}

/** Parses a comma-separated list (`16:9,1:1,1280x720`), dropping repeats. */
export function parseCanvasList(list: string | readonly string[]): CanvasSpec[] {
  const items = typeof list === 'string' ? list.split(',') : list;
  const specs = items.map((s) => s.trim()).filter((s) => s.length > 0).map(parseCanvasSpec);
  if (specs.length === 0) throw new ArtmetaError('INVALID_ARGUMENT', 'no canvas given');
  return specs.filter((spec, i) => specs.findIndex((other) => other.label === spec.label) === i);
}
