import type * as OpenCV from '@techstark/opencv-js';
import { type Box, coverage } from '../geometry/box.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import { scanCascade } from './cascade-scan.ts';

export type BodyKind = 'upper' | 'full';

export interface DetectedBody {
  box: Box;
  kind: BodyKind;
  neighbors: number;
}

export interface BodyDetectionOptions {
  /** Pyramid step of the full-body scan around a face. Default 1.2. */
  scaleFactor: number;
  /** Neighbours a body needs. Default 3 (body cascades are noisy; faces confirm the weak ones). */
  minNeighbors: number;
}

export const DEFAULT_BODY_DETECTION_OPTIONS: BodyDetectionOptions = {
  scaleFactor: 1.2,
  minNeighbors: 3,
};

/**
 * Where the upper-body cascade (Kruppa & Schiele, trained on pedestrians with background on both
 * sides) sees a head: measured on the dev photos with native OpenCV, its window is 4.5-6.7 face
 * widths wide with the face centred across and 0.4-0.55 of the way down; taken with a margin.
 */
const UPPER_BODY_WINDOW = { minFaceWidths: 4.5, maxFaceWidths: 8, faceCentreX: [0.35, 0.65], faceCentreY: [0.3, 0.65] } as const;

/**
 * Pyramid step of the upper-body scan around a face (the full-body scan's is an option, default 1.2):
 * the region is one face's neighbourhood, so a finer step costs little, and a hit must put the head
 * at a size UPPER_BODY_WINDOW allows. Set when the scan moved around faces (it then confirmed 3 of the
 * 41 dev faces, none before); other steps not measured.
 */
const UPPER_BODY_SCALE_FACTOR = 1.05;
/** Window widths beyond its measured range a hit may be (the scan's step, UPPER_BODY_SCALE_FACTOR, and the face box's own error). */
const UPPER_BODY_SIZE_SLACK = 0.1;
/** Farthest a window can reach from its head's centre, in window widths: the head sits 0.35-0.65 across. */
const UPPER_BODY_REACH = 0.65;
/** A full body 80% inside a larger one is the same person found at a smaller scale. */
const NESTED_BODY = 0.8;

/**
 * Face width, in scan px. The cascade then scans windows 45-80 px wide: at its own 22 px on a
 * smaller scan it finds a third as many raw windows, and of the dev faces it confirmed none.
 */
const UPPER_BODY_FACE_WIDTH = 10;

/**
 * Full-body window around a head (Kruppa & Schiele's pedestrian cascade, 14×28 px window): 4-11 face
 * heights tall with the head in its top 30% (as FULL_BODY_HEAD in person-merge.ts, which decides
 * whose body a hit is) and half as wide as tall; the scan holds the face at 7 px high, so the
 * shortest such body is the cascade's own 28 px and the tallest 77 px.
 */
const FULL_BODY_WINDOW = { minFaceHeights: 4, maxFaceHeights: 11, headShare: 0.3, aspect: 0.5 } as const;
const FULL_BODY_FACE_HEIGHT = 7;

/**
 * Full bodies whose head can be `face`, working px: the full-body cascade runs only on the region
 * such a body could cover, scaled so the face is the head size the cascade expects. The scan of the
 * whole frame it replaces cost more than all the face checks together (dev photos, one run: mean
 * 29 against 21 ms; 0 ms here for the median photo, which has no face), and the faceless bodies
 * only it found moved no crop or face figure (eval:crop the same without them). Nested hits are
 * reduced to the outer one.
 */
export function detectFullBodiesAround(scope: MatScope, gray: OpenCV.Mat, face: Box, options: BodyDetectionOptions = DEFAULT_BODY_DETECTION_OPTIONS): DetectedBody[] {
  const { minFaceHeights, maxFaceHeights, headShare, aspect } = FULL_BODY_WINDOW;
  const cx = face.x + face.w / 2;
  const cy = face.y + face.h / 2;
  const tallest = face.h * maxFaceHeights;
  const region = {
    x0: Math.max(0, Math.floor(cx - tallest * aspect)),
    y0: Math.max(0, Math.floor(cy - tallest * headShare)),
    x1: Math.min(gray.cols, Math.ceil(cx + tallest * aspect)),
    y1: Math.min(gray.rows, Math.ceil(cy + tallest)),
  };
  const scan = scaledRegion(scope, gray, region, FULL_BODY_FACE_HEIGHT / face.h);
  if (!scan) return [];
  const settings = {
    scaleFactor: options.scaleFactor,
    minNeighbors: options.minNeighbors,
    minSize: Math.floor(FULL_BODY_FACE_HEIGHT * minFaceHeights * aspect),
    maxSize: Math.ceil(FULL_BODY_FACE_HEIGHT * maxFaceHeights),
  };
  const full = scanCascade(scope, 'fullBody', scan.mat, settings).map(
    (hit): DetectedBody => ({ box: scan.toWorking(hit.box), kind: 'full', neighbors: hit.neighbors }),
  );
  return full.filter((b) => !full.some((o) => o !== b && coverage(b.box, o.box) > NESTED_BODY && o.box.w * o.box.h > b.box.w * b.box.h));
}

/** `region` of `gray` scaled by k and equalised, with the way back to working px; none when too small. */
function scaledRegion(
  scope: MatScope,
  gray: OpenCV.Mat,
  region: { x0: number; y0: number; x1: number; y1: number },
  k: number,
): { mat: OpenCV.Mat; toWorking: (b: Box) => Box } | undefined {
  const { x0, y0, x1, y1 } = region;
  if (x1 - x0 < 4 || y1 - y0 < 4) return undefined;
  const roi = scope.track(gray.roi(new (cv().Rect)(x0, y0, x1 - x0, y1 - y0)));
  const small = scope.track(new (cv().Mat)());
  const size = new (cv().Size)(Math.max(1, Math.round((x1 - x0) * k)), Math.max(1, Math.round((y1 - y0) * k)));
  cv().resize(roi, small, size, 0, 0, k < 1 ? cv().INTER_AREA : cv().INTER_LINEAR);
  const equalized = scope.track(new (cv().Mat)());
  cv().equalizeHist(small, equalized);
  return { mat: equalized, toWorking: (b) => ({ x: x0 + b.x / k, y: y0 + b.y / k, w: b.w / k, h: b.h / k }) };
}

/**
 * Head and shoulders around a known face: the upper-body cascade runs only on the region its window
 * could cover with that face as the head, scaled so the face is the head size the cascade expects,
 * and only hits with the face where the cascade puts a head count. A global upper-body scan costs as
 * much as a face scan and, without a face, fires on too much clutter.
 */
export function detectUpperBodyAround(scope: MatScope, gray: OpenCV.Mat, face: Box, minNeighbors: number): DetectedBody[] {
  const { minFaceWidths, maxFaceWidths } = UPPER_BODY_WINDOW;
  const cx = face.x + face.w / 2;
  const cy = face.y + face.h / 2;
  const reach = face.w * maxFaceWidths * UPPER_BODY_REACH;
  const region = {
    x0: Math.max(0, Math.floor(cx - reach)),
    y0: Math.max(0, Math.floor(cy - reach)),
    x1: Math.min(gray.cols, Math.ceil(cx + reach)),
    y1: Math.min(gray.rows, Math.ceil(cy + reach)),
  };
  const scan = scaledRegion(scope, gray, region, UPPER_BODY_FACE_WIDTH / face.w);
  if (!scan) return [];
  // Square size limits bound both sides; the window's height is 18/22 of its width.
  const settings = {
    scaleFactor: UPPER_BODY_SCALE_FACTOR,
    minNeighbors,
    minSize: Math.floor(UPPER_BODY_FACE_WIDTH * minFaceWidths * (18 / 22)),
    maxSize: Math.ceil(UPPER_BODY_FACE_WIDTH * maxFaceWidths),
  };
  return scanCascade(scope, 'upperBody', scan.mat, settings)
    .map((hit): DetectedBody => ({ box: scan.toWorking(hit.box), kind: 'upper', neighbors: hit.neighbors }))
    .filter((body) => isUpperBodyOf(face, body.box));
}

/** Whether `face` sits where the upper-body cascade's window has its head, at a head's size. */
export function isUpperBodyOf(face: Box, window: Box): boolean {
  const { minFaceWidths, maxFaceWidths, faceCentreX, faceCentreY } = UPPER_BODY_WINDOW;
  const widths = window.w / face.w;
  const across = (face.x + face.w / 2 - window.x) / window.w;
  const down = (face.y + face.h / 2 - window.y) / window.h;
  return (
    widths >= minFaceWidths * (1 - UPPER_BODY_SIZE_SLACK) &&
    widths <= maxFaceWidths * (1 + UPPER_BODY_SIZE_SLACK) &&
    across >= faceCentreX[0] &&
    across <= faceCentreX[1] &&
    down >= faceCentreY[0] &&
    down <= faceCentreY[1]
  );
}
