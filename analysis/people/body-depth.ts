import type * as OpenCV from '@techstark/opencv-js';
import type { Box } from '../geometry/box.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { edgeCrispness } from './edge-crispness.ts';
import { regionSharpness } from './region-sharpness.ts';

/**
 * What a slab below a face needs to count as the person's body. Edges as crisp in pixels as a face's
 * in focus (edgeCrispness ≥ 0.1) prove it alone: plain dark clothes show little fine detail
 * (regionSharpness 1.5-2.1 on a black sweater) but crisp folds and outlines (0.14-0.21). Softer edges
 * need fine detail as well (regionSharpness ≥ 2, edgeCrispness ≥ 0.045). On the dev photos every
 * body slab passes; a background blur fails: smooth ones show detail 1.1-1.9 at crispness up to
 * 0.074, textured ones (fur, seed heads), which keep their detail when sampled small, crispness
 * 0.017-0.042.
 */
const CRISP_BODY_EDGES = 0.1;
const MIN_BODY_DETAIL = 2;
const MIN_BODY_CRISPNESS = 0.045;

/** A standing adult's feet are about 9.5 face heights below the eyebrows; nothing of them lies deeper. */
const FEET_FACE_HEIGHTS = 9.5;

/**
 * How far below the top of `face`, in face heights, the person can be seen: slabs one face high and
 * two wide are read down from the chin while each holds detail, until the frame ends or the feet
 * are reached. Clothes, arms and outlines show detail and crisp edges; a blurred background, or a
 * different picture pasted below, does not.
 */
export function bodyDepth(scope: MatScope, gray: OpenCV.Mat, face: Box): number {
  const toFrameBottom = (gray.rows - face.y) / face.h;
  let depth = 1;
  while (depth < FEET_FACE_HEIGHTS && depth < toFrameBottom) {
    const y = face.y + face.h * depth;
    const slab = { x: face.x - face.w / 2, y, w: face.w * 2, h: Math.min(face.h, gray.rows - y) };
    // A sliver at the frame's edge is too thin to judge: the frame decides.
    if (slab.h >= face.h / 2 && !showsBody(scope, gray, slab)) break;
    depth += 1;
  }
  return Math.min(depth, toFrameBottom, FEET_FACE_HEIGHTS);
}

function showsBody(scope: MatScope, gray: OpenCV.Mat, slab: Box): boolean {
  const crispness = edgeCrispness(gray, slab);
  if (crispness >= CRISP_BODY_EDGES) return true;
  return crispness >= MIN_BODY_CRISPNESS && regionSharpness(scope, gray, slab) >= MIN_BODY_DETAIL;
}
