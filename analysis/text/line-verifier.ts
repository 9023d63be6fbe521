import { readFileSync } from 'node:fs';
import { ArtmetaError } from '../errors.ts';
import { LINE_EVIDENCE_NAMES, type LineEvidence } from './line-evidence.ts';

/** The committed verifier, fitted by `npm run fit:text` on `npm run synth:text` output only. */
export const TEXT_LINE_VERIFIER_URL = new URL('../../models/text-line-verifier.json', import.meta.url);

/** A logistic regression over standardised line evidence, with the operating point chosen on held-out synthetic images. */
export interface LineVerifierModel {
  features: string[];
  mean: number[];
  std: number[];
  weights: number[];
  bias: number;
  /** Raw probability a line needs to be reported (reported probabilities are rescaled so it reads 0.5). */
  threshold: number;
  /** Noisy-OR of an image's raw line probabilities it needs to hold text and report lines (see textDetectionFromLines). */
  imageThreshold: number;
}

let cached: LineVerifierModel | undefined;

export function lineVerifierModel(): LineVerifierModel {
  if (cached) return cached;
  let model: LineVerifierModel;
  try {
    model = JSON.parse(readFileSync(TEXT_LINE_VERIFIER_URL, 'utf8')) as LineVerifierModel;
  } catch (e) {
    throw new ArtmetaError('INTERNAL', `cannot read the text line verifier: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (model.features.join() !== LINE_EVIDENCE_NAMES.join()) {
    throw new ArtmetaError('INTERNAL', 'the text line verifier was fitted on other features: run npm run fit:text');
  }
  cached = model;
  return model;
}

/** The model's raw probability that a measured line is text. */
export function verifyLine(model: Pick<LineVerifierModel, 'mean' | 'std' | 'weights' | 'bias'>, evidence: LineEvidence): number {
  let z = model.bias;
  LINE_EVIDENCE_NAMES.forEach((name, i) => {
    z += (model.weights[i]! * (evidence[name] - model.mean[i]!)) / model.std[i]!;
  });
  return 1 / (1 + Math.exp(-z));
}
