import { readFileSync } from 'node:fs';
import { ArtmetaError } from '../errors.ts';
import { LINE_FEATURE_NAMES } from './line-features.ts';

/** One regression tree: an inner node splits on `feature < threshold`, a leaf holds a log-odds step. */
export type TreeNode = { feature: number; threshold: number; left: TreeNode; right: TreeNode } | { value: number };

/**
 * A small gradient-boosted tree ensemble over the measured line features (logistic loss), as written
 * by scripts/train-text-classifier.ts into models/text-line-classifier.json.
 */
export interface TextLineModel {
  kind: 'boosted-trees';
  features: string[];
  /** Log-odds every prediction starts from (the training prior). */
  base: number;
  trees: TreeNode[];
  /** Operating point: the candidate probability that gave the best cross-validated Hmean. */
  threshold: number;
  /**
   * The likeliest candidate's probability from which an image reads as holding text: the best
   * cross-validated has-text accuracy, at most `threshold`.
   */
  imageThreshold: number;
}

export const TEXT_LINE_MODEL_URL = new URL('../../models/text-line-classifier.json', import.meta.url);

let cached: TextLineModel | undefined;

/** The committed model, read once per process; fails loudly when it does not match the features. */
export function textLineModel(): TextLineModel {
  if (cached) return cached;
  let model: TextLineModel;
  try {
    model = JSON.parse(readFileSync(TEXT_LINE_MODEL_URL, 'utf8')) as TextLineModel;
  } catch (e) {
    throw new ArtmetaError('INTERNAL', `cannot read the text line model ${TEXT_LINE_MODEL_URL.pathname}: ${String(e)}`, { cause: e });
  }
  const sameFeatures = model.features?.length === LINE_FEATURE_NAMES.length && model.features.every((f, i) => f === LINE_FEATURE_NAMES[i]);
  const thresholds = model.imageThreshold > 0 && model.imageThreshold <= model.threshold;
  if (model.kind !== 'boosted-trees' || !sameFeatures || !Array.isArray(model.trees) || !thresholds) {
    throw new ArtmetaError('INTERNAL', 'the text line model does not match the measured features: run npm run train:text');
  }
  cached = model;
  return model;
}

/** Probability that a candidate with these features is text. */
export function textProbability(model: Pick<TextLineModel, 'base' | 'trees'>, features: number[]): number {
  let z = model.base;
  for (const tree of model.trees) z += leafValue(tree, features);
  return 1 / (1 + Math.exp(-z));
}

function leafValue(node: TreeNode, features: number[]): number {
  while (!('value' in node)) node = features[node.feature]! < node.threshold ? node.left : node.right;
  return node.value;
}
