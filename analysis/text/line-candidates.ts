import type { Box } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { withMats } from '../opencv/mat-scope.ts';
import { inkComponents } from './ink-components.ts';
import { lineFeatures } from './line-features.ts';
import { groupLines, mayFormLines } from './line-grouping.ts';
import { BINARY_TRANSFORMS, binaryRuns, glyphShapes, measureGlyphs } from './text-candidates.ts';
import { textPlanes } from './text-planes.ts';

/** A candidate text line in the caller's image pixels, with its measured features. */
export interface LineCandidate extends Box {
  features: number[];
}

export interface LineCandidateOptions {
  /** Long side the search runs at (at most 2048); larger images are downscaled first. Default 1024. */
  workingSize?: number;
  /** Smallest glyph height looked for, in working pixels. Default 6. */
  minGlyphHeight?: number;
  /** Largest glyph height, as a share of the working image's short side. Default 0.3. */
  maxGlyphHeight?: number;
}

export const DEFAULT_LINE_CANDIDATE_OPTIONS: Required<LineCandidateOptions> = {
  workingSize: 1024,
  minGlyphHeight: 6,
  maxGlyphHeight: 0.3,
};

/**
 * Every line-shaped chain of glyph-like components found in any of the binarisations, measured.
 * Synchronous; OpenCV must be loaded.
 */
export function lineCandidates(image: RgbImage, options: LineCandidateOptions = {}): LineCandidate[] {
  const opts = { ...DEFAULT_LINE_CANDIDATE_OPTIONS, ...options };
  return withMats((scope) => {
    const planes = textPlanes(scope, image, opts.workingSize);
    // Plain JavaScript from here on: the planes are views into WASM memory (see textPlanes).
    const { scale } = planes;
    const shortSide = Math.min(planes.width, planes.height);
    const limits = { minHeight: opts.minGlyphHeight, maxHeight: opts.maxGlyphHeight * shortSide };
    const binaries = binaryRuns(planes);
    const out: LineCandidate[] = [];
    for (const transform of BINARY_TRANSFORMS) {
      const ink = binaries[transform];
      const components = inkComponents(ink);
      // Only shapes that could sit in a line are worth measuring: the rest never reach a candidate.
      const shapes = mayFormLines(glyphShapes(components, limits));
      for (const line of groupLines(measureGlyphs(ink, components, shapes, planes.gray, transform))) {
        out.push({
          x: line.x * scale,
          y: line.y * scale,
          w: line.w * scale,
          h: line.h * scale,
          features: lineFeatures(line, planes.gradient, shortSide),
        });
      }
    }
    return out;
  });
}
