import type { Box } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { type LineCandidateOptions, lineCandidates } from './line-candidates.ts';
import { type LineMergingOptions, mergeTextLines } from './line-merging.ts';
import { textLineModel, textProbability } from './text-classifier.ts';

export interface TextDetectionOptions extends LineCandidateOptions, LineMergingOptions {
  /** Lines reported in `regions` reach at least this probability. Default: the model's threshold. */
  minRegionProbability?: number;
}

export interface TextDetection {
  /** Probability that the image holds any text: that of its likeliest candidate. */
  probability: number;
  /** Line boxes in the input image's pixels, likeliest first. */
  regions: Array<Box & { probability: number }>;
}

/**
 * Finds lines of text: glyph-like components of several binarisations are chained into words, a
 * trained classifier scores each from its measured features, and likely words join into lines.
 * Synchronous; OpenCV must be loaded (await loadOpenCV() first).
 */
export function detectText(image: RgbImage, options: TextDetectionOptions = {}): TextDetection {
  const model = textLineModel();
  const scored = lineCandidates(image, options).map(({ features, ...box }) => ({ ...box, probability: textProbability(model, features) }));
  const best = scored.reduce((p, c) => Math.max(p, c.probability), 0);
  const threshold = options.minRegionProbability ?? model.threshold;
  const lines = mergeTextLines(scored, { minCandidateProbability: threshold, ...options });
  return textDetectionFromLines(lines, calibrate(best, threshold), image, threshold);
}

/** The reported form: whole pixels inside the image, likeliest first. */
export function textDetectionFromLines(
  lines: Array<Box & { probability: number }>,
  imageProbability: number,
  image: { width: number; height: number },
  minProbability: number,
): TextDetection {
  const regions = lines
    .filter((l) => l.probability >= minProbability)
    .sort((a, b) => b.probability - a.probability)
    .map((l) => {
      const x = Math.max(0, Math.floor(l.x));
      const y = Math.max(0, Math.floor(l.y));
      const w = Math.min(image.width, Math.ceil(l.x + l.w)) - x;
      const h = Math.min(image.height, Math.ceil(l.y + l.h)) - y;
      return { x, y, w, h, probability: Math.round(l.probability * 1000) / 1000 };
    });
  return { probability: Math.round(imageProbability * 1000) / 1000, regions };
}

/**
 * Maps a probability so that the model's threshold lands on 0.5: callers read "probability ≥ 0.5"
 * as "text", whatever operating point cross-validation chose.
 */
export function calibrate(p: number, threshold: number): number {
  return p < threshold ? (0.5 * p) / threshold : 0.5 + (0.5 * (p - threshold)) / (1 - threshold);
}
