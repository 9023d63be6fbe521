import { clamp, type Box, type Point, type Size } from '../geometry/box.ts';
import type { CanvasSpec } from './canvas-spec.ts';

/**
 * What a crop should keep, most wanted first: e.g. [all people, the chosen person, the chosen face
 * with headroom]. The crop keeps the first box that fits whole and, of the box before it, as much as
 * fits. When none fits, the crop covers as much of the last (smallest) box as it can.
 */
export interface CropSubject {
  keep: Box[];
  focalPoint: Point;
}

/** The largest rectangle of each canvas's shape inside the image that keeps the subject. */
export function cropHints(image: Size, subject: CropSubject, canvases: readonly CanvasSpec[]): Record<string, Box> {
  const crops: Record<string, Box> = {};
  for (const canvas of canvases) crops[canvas.label] = cropFor(image, subject, canvas.aspect);
  return crops;
}

export function cropFor(image: Size, subject: CropSubject, aspect: number): Box {
  const size = largestOfAspect(image, aspect);
  const fits = subject.keep.findIndex((b) => b.w <= size.width && b.h <= size.height);
  const kept = fits >= 0 ? subject.keep[fits] : undefined;
  const wanted = fits > 0 ? subject.keep[fits - 1] : fits < 0 ? subject.keep.at(-1) : undefined;
  const x = placeAxis(image.width, size.width, subject.focalPoint.x, span(kept, 'x'), span(wanted, 'x'));
  const y = placeAxis(image.height, size.height, subject.focalPoint.y, span(kept, 'y'), span(wanted, 'y'));
  return { x, y, w: size.width, h: size.height };
}

/** Whole-pixel width and height of the largest rectangle of `aspect` (w/h) inside the image. */
export function largestOfAspect(image: Size, aspect: number): Size {
  if (image.width / image.height > aspect) {
    return { width: Math.min(image.width, Math.max(1, Math.round(image.height * aspect))), height: image.height };
  }
  return { width: image.width, height: Math.min(image.height, Math.max(1, Math.round(image.width / aspect))) };
}

interface Span {
  start: number;
  end: number;
}

function span(box: Box | undefined, axis: 'x' | 'y'): Span | undefined {
  if (!box) return undefined;
  return axis === 'x' ? { start: box.x, end: box.x + box.w } : { start: box.y, end: box.y + box.h };
}

/**
 * Start of a window of `length` on an axis of `total`: it contains `kept`, covers as much of `wanted`
 * as it can, and within that freedom sits as close to centred on `focus` as possible.
 */
function placeAxis(total: number, length: number, focus: number, kept?: Span, wanted?: Span): number {
  let lo = 0;
  let hi = total - length;
  if (kept) {
    lo = Math.max(lo, Math.ceil(kept.end - length));
    hi = Math.min(hi, Math.floor(kept.start));
  }
  if (wanted && lo <= hi) {
    // Positions covering the most of `wanted`: inside it when it is longer than the window, else around it.
    const a = Math.min(wanted.start, wanted.end - length);
    const b = Math.max(wanted.start, wanted.end - length);
    const narrowedLo = Math.max(lo, Math.ceil(a));
    const narrowedHi = Math.min(hi, Math.floor(b));
    if (narrowedLo <= narrowedHi) {
      lo = narrowedLo;
      hi = narrowedHi;
    } else {
      const nearest = narrowedLo > hi ? hi : lo;
      lo = hi = nearest;
    }
  }
  if (lo > hi) return clamp(Math.round(focus - length / 2), 0, total - length);
  return clamp(Math.round(focus - length / 2), lo, hi);
}
