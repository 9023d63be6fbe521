import { type Box, iou, type Point } from '../geometry/box.ts';

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

/**
 * BlazeFace's six key points, in the order the model regresses them (the subject's right and left:
 * the right eye is on the image's left in a frontal face).
 */
const KEY_POINTS = ['rightEye', 'leftEye', 'nose', 'mouth', 'rightEar', 'leftEar'] as const;
export type KeyPoints = Record<(typeof KEY_POINTS)[number], Point>;

/** A network face with its key points, both in the same coordinates as the box. */
export interface LandmarkedBox extends ScoredBox {
  keyPoints: KeyPoints;
}

export const BLAZEFACE_INPUT_SIZE = 256;
const REGRESSORS = 16;

const sigmoid = (logit: number): number => 1 / (1 + Math.exp(-logit));

/**
 * Boxes of every anchor scoring at least `minScore`, in the unit square of the input. BlazeFace's
 * anchors all have unit size: a box is its cell centre plus the regressed offset, and the regressed
 * size, both in input pixels.
 */
export function decodeBlazeFace(outputs: BlazeFaceOutputs, minScore: number): LandmarkedBox[] {
  return [
    ...decodeLayer(outputs.scores16, outputs.boxes16, 16, 2, minScore),
    ...decodeLayer(outputs.scores8, outputs.boxes8, 8, 6, minScore),
  ];
}

function decodeLayer(scores: Float32Array, boxes: Float32Array, cells: number, anchorsPerCell: number, minScore: number): LandmarkedBox[] {
  const found: LandmarkedBox[] = [];
  const size = BLAZEFACE_INPUT_SIZE;
  for (let anchor = 0; anchor < cells * cells * anchorsPerCell; anchor++) {
    const score = sigmoid(scores[anchor]!);
    if (score < minScore) continue;
    const cell = Math.floor(anchor / anchorsPerCell);
    const ax = ((cell % cells) + 0.5) / cells;
    const ay = (Math.floor(cell / cells) + 0.5) / cells;
    const at = (i: number): Point => ({ x: ax + boxes[anchor * REGRESSORS + i]! / size, y: ay + boxes[anchor * REGRESSORS + i + 1]! / size });
    const centre = at(0);
    const w = boxes[anchor * REGRESSORS + 2]! / size;
    const h = boxes[anchor * REGRESSORS + 3]! / size;
    if (!(w > 0 && h > 0)) continue;
    const keyPoints = Object.fromEntries(KEY_POINTS.map((name, k) => [name, at(4 + 2 * k)])) as KeyPoints;
    found.push({ x: centre.x - w / 2, y: centre.y - h / 2, w, h, score, keyPoints });
  }
  return found;
}

/** Boxes overlapping a better-scored one by more than this (IoU) are the same face. */
const SAME_FACE_IOU = 0.3;

/**
 * One box per face, best score first: neighbouring anchors (and overlapping tiles) all fire on the
 * same face, and the best-scored one is kept.
 */
export function suppressOverlaps<T extends ScoredBox>(boxes: readonly T[]): T[] {
  const kept: T[] = [];
  for (const box of [...boxes].sort((a, b) => b.score - a.score)) {
    if (!kept.some((k) => iou(k, box) > SAME_FACE_IOU)) kept.push(box);
  }
  return kept;
}
