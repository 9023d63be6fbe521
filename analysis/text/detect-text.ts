import { ArtmetaError } from '../errors.ts';
import { type Box, enclosingPixelBox } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { lineEvidence } from './line-evidence.ts';
import { lineVerifierModel, verifyLine } from './line-verifier.ts';
import { PLACEMENT_EVIDENCE_MAX } from './placement.ts';
import { ARTMETA_CANDIDATE_OPTIONS, type CandidateOptions, textLineCandidates } from './text-line-candidates.ts';
import { roundScore } from '../score-rounding.ts';

export interface TextDetectionOptions extends Partial<CandidateOptions> {
  /**
   * Verifier probability a line needs to be reported: the operating point. Default: the committed
   * model's `threshold`, chosen on held-out synthetic images. Reported probabilities are rescaled so
   * that this value reads as 0.5.
   */
  threshold?: number;
  /**
   * Probability that at least one line is text (noisy-OR of the raw line probabilities) an image
   * needs to be said to hold text and to report any line. Default: the committed model's
   * `imageThreshold`, chosen on synthetic images; the image probability is rescaled so it reads 0.5.
   */
  imageThreshold?: number;
}

export interface TextDetection {
  /**
   * Probability that the image holds any text: that at least one of its candidate lines is text
   * (noisy-OR), rescaled so the image threshold reads 0.5; ≥ 0.5 reads as "has text", and there are
   * regions only then.
   */
  probability: number;
  /** Line boxes in the input image's pixels, likeliest first, each with probability ≥ 0.5. */
  regions: Array<Box & { probability: number }>;
  /**
   * The candidate lines not reported (probability < 0.5 on the same scale; or every line, whatever its
   * probability, of an image not said to hold text), likeliest first, at most PLACEMENT_EVIDENCE_MAX:
   * placement keeps clear of them where it can, since a badge on missed text costs more than a badge
   * moved to another corner.
   */
  evidence: Array<Box & { probability: number }>;
}

/**
 * Finds lines of text: PaddleOCR's DB detector proposes word boxes, which join into lines; each line
 * is measured on thresholded and watershed-segmented crops and the verifier turns that evidence into
 * its probability. OpenCV must be loaded (await loadOpenCV() first).
 */
export async function detectText(image: RgbImage, options: TextDetectionOptions = {}): Promise<TextDetection> {
  const model = lineVerifierModel();
  const threshold = options.threshold ?? model.threshold;
  const imageThreshold = options.imageThreshold ?? model.imageThreshold;
  for (const [name, value] of [['threshold', threshold], ['image threshold', imageThreshold]] as const) {
    if (!(value > 0 && value < 1)) throw new ArtmetaError('INVALID_ARGUMENT', `text ${name} must be in (0, 1), got ${value}`);
  }
  const { map, lines } = await textLineCandidates(image, { ...ARTMETA_CANDIDATE_OPTIONS, ...candidateOptionsOf(options) });
  const scored = lines.map((line) => ({ ...line, probability: verifyLine(model, lineEvidence(image, map, line)) }));
  return textDetectionFromLines(scored, image, { threshold, imageThreshold });
}

function candidateOptionsOf(options: TextDetectionOptions): Partial<CandidateOptions> {
  const { limitSide, minLongSide, precision, db, joining, tightenToInk } = options;
  return Object.fromEntries(Object.entries({ limitSide, minLongSide, precision, db, joining, tightenToInk }).filter(([, v]) => v !== undefined));
}

/** Probability that at least one of an image's lines is text: the noisy-OR of their raw probabilities. */
export function anyLineIsText(probabilities: readonly number[]): number {
  return 1 - probabilities.reduce((none, p) => none * (1 - p), 1);
}

/**
 * The reported form of scored lines (raw verifier probabilities). The image holds text when the
 * noisy-OR of its lines reaches `imageThreshold`: one weak line alone is not enough, several are.
 * Then its lines reaching `threshold` are reported, in whole pixels inside the image, likeliest
 * first, probabilities rescaled so `threshold` reads 0.5 (the image's so `imageThreshold` does);
 * the other lines are kept, in the same form, as placement evidence.
 */
export function textDetectionFromLines(
  lines: Array<Box & { probability: number }>,
  image: { width: number; height: number },
  { threshold, imageThreshold }: { threshold: number; imageThreshold: number },
): TextDetection {
  const anyText = anyLineIsText(lines.map((l) => l.probability));
  const probability = roundScore(calibrate(anyText, imageThreshold));
  const holdsText = anyText >= imageThreshold;
  const reported = (l: { probability: number }) => holdsText && l.probability >= threshold;
  const inPixels = (l: Box & { probability: number }) => ({ ...enclosingPixelBox(l, image), probability: roundScore(calibrate(l.probability, threshold)) });
  const likeliestFirst = [...lines].sort((a, b) => b.probability - a.probability);
  return {
    probability,
    regions: likeliestFirst.filter(reported).map(inPixels),
    evidence: likeliestFirst
      .filter((l) => !reported(l))
      .slice(0, PLACEMENT_EVIDENCE_MAX)
      .map(inPixels),
  };
}

/**
 * Maps a probability so that the model's threshold lands on 0.5: callers read "probability ≥ 0.5"
 * as "text", whatever operating point the fit chose.
 */
export function calibrate(p: number, threshold: number): number {
  return p < threshold ? (0.5 * p) / threshold : 0.5 + (0.5 * (p - threshold)) / (1 - threshold);
}
