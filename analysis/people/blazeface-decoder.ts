import { type Box, iou } from '../geometry/box.ts';

/**
 * The raw outputs of MediaPipe's BlazeFace full-range ("back camera") model for one 256×256 input:
 * per anchor a score logit and 16 regressors (box centre offset, size, six key points), in two
 * layers — a 16×16 grid with 2 anchors per cell (stride 16) and an 8×8 grid with 6 (stride 32).
 */
export interface BlazeFaceOutputs {
  scores16: Float32Array;
  boxes16: Float32Array;
  scores8: Float32Array;
  boxes8: Float32Array;
}

/** A face the network found, as a box in the network input's unit square and its score in [0,1]. */
export interface ScoredBox extends Box {
  score: number;
}

export const BLAZEFACE_INPUT_SIZE = 256;
const REGRESSORS = 16;

const sigmoid = (logit: number): number => 1 / (1 + Math.exp(-logit));

/**
 * Boxes of every anchor scoring at least `minScore`, in the unit square of the input. BlazeFace's
 * anchors all have unit size: a box is its cell centre plus the regressed offset, and the regressed
 * size, both in input pixels.
 */
export function decodeBlazeFace(outputs: BlazeFaceOutputs, minScore: number): ScoredBox[] {
  return [
    ...decodeLayer(outputs.scores16, outputs.boxes16, 16, 2, minScore),
    ...decodeLayer(outputs.scores8, outputs.boxes8, 8, 6, minScore),
  ];
}

function decodeLayer(scores: Float32Array, boxes: Float32Array, cells: number, anchorsPerCell: number, minScore: number): ScoredBox[] {
  const found: ScoredBox[] = [];
  const size = BLAZEFACE_INPUT_SIZE;
  for (let anchor = 0; anchor < cells * cells * anchorsPerCell; anchor++) {
    const score = sigmoid(scores[anchor]!);
    if (score < minScore) continue;
    const cell = Math.floor(anchor / anchorsPerCell);
    const cx = ((cell % cells) + 0.5) / cells + boxes[anchor * REGRESSORS]! / size;
    const cy = (Math.floor(cell / cells) + 0.5) / cells + boxes[anchor * REGRESSORS + 1]! / size;
    const w = boxes[anchor * REGRESSORS + 2]! / size;
    const h = boxes[anchor * REGRESSORS + 3]! / size;
    if (w > 0 && h > 0) found.push({ x: cx - w / 2, y: cy - h / 2, w, h, score });
  }
  return found;
}

/**
 * One box per face, best score first: neighbouring anchors (and overlapping tiles) all fire on the
 * same face, and the best-scored one is kept.
 */
export function suppressOverlaps<T extends ScoredBox>(boxes: readonly T[], maxIou = 0.3): T[] {
  const kept: T[] = [];
  for (const box of [...boxes].sort((a, b) => b.score - a.score)) {
    if (!kept.some((k) => iou(k, box) > maxIou)) kept.push(box);
  }
  return kept;
}
