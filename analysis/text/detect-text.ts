import { ArtmetaError } from '../errors.ts';
import type { Box } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { type LineCandidateOptions, lineCandidates } from './line-candidates.ts';
import { type LineMergingOptions, mergeTextLines } from './line-merging.ts';
import { textLineModel, textProbability } from './text-classifier.ts';

export interface TextDetectionOptions extends LineCandidateOptions, Omit<LineMergingOptions, 'minCandidateProbability'> {
  /**
   * Classifier probability a word needs to start a line: the operating point. Default: the
   * committed model's cross-validated `threshold`. Reported probabilities are rescaled so that this
   * value reads as 0.5.
   */
  threshold?: number;
  /**
   * Probability the likeliest candidate needs for the image to read as holding text (the image
   * probability is rescaled so that it reads as 0.5); at most `threshold`. Default: the committed
   * model's cross-validated `imageThreshold`, or `threshold` when one is given.
   */
  imageThreshold?: number;
}

export interface TextDetection {
  /**
   * Probability that the image holds any text (that of its likeliest candidate, rescaled so the image
   * threshold reads 0.5); ≥ 0.5 reads as "has text", and always does when there are regions.
   */
  probability: number;
  /** Line boxes in the input image's pixels, likeliest first, each with probability ≥ 0.5. */
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
  const threshold = options.threshold ?? model.threshold;
  if (!(threshold > 0 && threshold < 1)) throw new ArtmetaError('INVALID_ARGUMENT', `text threshold must be in (0, 1), got ${threshold}`);
  const imageThreshold = options.imageThreshold ?? (options.threshold === undefined ? model.imageThreshold : threshold);
  if (!(imageThreshold > 0 && imageThreshold <= threshold)) {
    throw new ArtmetaError('INVALID_ARGUMENT', `text image threshold must be in (0, ${threshold}], got ${imageThreshold}`);
  }
  const lines = mergeTextLines(scored, { ...options, minCandidateProbability: threshold });
  return textDetectionFromLines(lines, best, image, threshold, imageThreshold);
}

/**
 * The reported form of merged lines (raw classifier probabilities): lines reaching `threshold`, in
 * whole pixels inside the image, likeliest first, probabilities rescaled so `threshold` reads 0.5;
 * the image's probability rescaled so `imageThreshold` reads 0.5.
 */
export function textDetectionFromLines(
  lines: Array<Box & { probability: number }>,
  bestCandidateProbability: number,
  image: { width: number; height: number },
  threshold: number,
  imageThreshold: number,
): TextDetection {
  const regions = lines
    .filter((l) => l.probability >= threshold)
    .sort((a, b) => b.probability - a.probability)
    .map((l) => {
      const x = Math.max(0, Math.floor(l.x));
      const y = Math.max(0, Math.floor(l.y));
      const w = Math.min(image.width, Math.ceil(l.x + l.w)) - x;
      const h = Math.min(image.height, Math.ceil(l.y + l.h)) - y;
      return { x, y, w, h, probability: round3(calibrate(l.probability, threshold)) };
    });
  return { probability: round3(calibrate(bestCandidateProbability, imageThreshold)), regions };
}

/**
 * Maps a probability so that the model's threshold lands on 0.5: callers read "probability ≥ 0.5"
 * as "text", whatever operating point cross-validation chose.
 */
export function calibrate(p: number, threshold: number): number {
  return p < threshold ? (0.5 * p) / threshold : 0.5 + (0.5 * (p - threshold)) / (1 - threshold);
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
