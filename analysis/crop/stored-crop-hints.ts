import type { Analysis } from '../analysis-schema.ts';
import { parseCanvasList } from './canvas-spec.ts';
import { cropHints } from './crop-hints.ts';
import { union, type Box } from '../geometry/box.ts';

/**
 * Crop hints of an analysed image for the requested canvases, without its pixels: canvases the
 * analysis computed are returned as stored; others are computed by `cropHints` from the stored
 * keep-list and faces, as the analysis would have. Analyses stored before it recorded `keep` fall back to
 * all people, then the region of interest.
 */
export function storedCropHints(analysis: Analysis, aspects: readonly string[]): Record<string, Box> {
  const canvases = parseCanvasList(aspects);
  const missing = canvases.filter((c) => analysis.crops[c.label] === undefined);
  const subject = { keep: analysis.keep ?? subjectOf(analysis), focalPoint: analysis.focalPoint, whole: facesOf(analysis) };
  const computed = missing.length > 0 ? cropHints(analysis, subject, missing) : {};
  const crops: Record<string, Box> = {};
  for (const canvas of canvases) {
    const box = analysis.crops[canvas.label] ?? computed[canvas.label];
    if (box) crops[canvas.label] = box;
  }
  return crops;
}

/** The faces of an analysed image's people. */
export function facesOf(analysis: Pick<Analysis, 'people'>): Box[] {
  return analysis.people.flatMap((p) => (p.face ? [p.face] : []));
}

function subjectOf(analysis: Analysis): Box[] {
  const people = analysis.people.map((p) => p.box);
  const everyone = people.length > 1 ? people.reduce((a, b) => union(a, b)) : undefined;
  return everyone ? [everyone, analysis.roi] : [analysis.roi];
}
