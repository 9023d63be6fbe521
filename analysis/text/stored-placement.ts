import type { Analysis, PlacementResult } from '../analysis-schema.ts';
import { facesOf } from '../crop/stored-crop-hints.ts';
import { placeBox } from './placement.ts';
import type { PlacementRequest } from './placement-spec.ts';

/**
 * Where a new box goes on an analysed image, without its pixels: placement is pure geometry on the
 * text regions, unreported candidate lines (text.evidence) and faces the analysis stored, so any
 * spec can be answered from the store, as the analysis itself would have answered it.
 */
export function storedPlacement(analysis: Analysis, request: PlacementRequest): PlacementResult {
  return placeBox(analysis, request, { text: analysis.text?.regions ?? [], faces: facesOf(analysis), evidence: analysis.text?.evidence ?? [] });
}
