import type { Box } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { withMats } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import { grayPlane } from './gray-plane.ts';
import { lineFeatures } from './line-features.ts';
import { groupLines } from './line-grouping.ts';
import { BINARY_TRANSFORMS, binaryMap, glyphCandidates, thresholdSource } from './text-candidates.ts';
import { rgbMat } from '../opencv/rgb-mat.ts';

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
    const c = cv();
    const rgb = rgbMat(scope, image);
    const fullGray = scope.track(new c.Mat());
    c.cvtColor(rgb, fullGray, c.COLOR_RGB2GRAY);
    // Capped so the 32-bit integral images cannot overflow (≤ 4 megapixels).
    const scale = Math.max(1, Math.max(image.width, image.height) / Math.min(opts.workingSize, 2048));
    let gray = fullGray;
    if (scale > 1) {
      gray = scope.track(new c.Mat());
      const size = new c.Size(Math.round(image.width / scale), Math.round(image.height / scale));
      c.resize(fullGray, gray, size, 0, 0, c.INTER_AREA);
    }
    const width = gray.cols;
    const height = gray.rows;
    const shortSide = Math.min(width, height);
    const plane = grayPlane(scope, gray);
    const gradientMat = scope.track(new c.Mat());
    const kernel = scope.track(c.getStructuringElement(c.MORPH_RECT, new c.Size(3, 3)));
    c.morphologyEx(gray, gradientMat, c.MORPH_GRADIENT, kernel);
    const gradient = grayPlane(scope, gradientMat);
    const limits = { minHeight: opts.minGlyphHeight, maxHeight: opts.maxGlyphHeight * shortSide };

    const source = thresholdSource(scope, gray);
    const out: LineCandidate[] = [];
    for (const transform of BINARY_TRANSFORMS) {
      const binary = binaryMap(scope, source, transform);
      const glyphs = glyphCandidates(scope, binary, plane, transform, limits);
      for (const line of groupLines(glyphs)) {
        out.push({
          x: line.x * scale,
          y: line.y * scale,
          w: line.w * scale,
          h: line.h * scale,
          features: lineFeatures(line, gradient, shortSide),
        });
      }
    }
    return out;
  });
}
