import { area, center, clamp, contains, type Box, type Point, type Size } from '../geometry/box.ts';
import type { CanvasSpec } from './canvas-spec.ts';

/**
 * What a crop should keep, most wanted first: e.g. [all people, the chosen person, the chosen face
 * with headroom]. The crop keeps the first box that fits whole and, of the box before it, as much as
 * fits, cut evenly from both ends. When none fits, the crop covers as much of the last (smallest)
 * box as it can.
 */
export interface CropSubject {
  keep: Box[];
  focalPoint: Point;
  /**
   * Boxes a crop should not cut through — the faces: where the kept box leaves the crop room, each
   * is either inside whole or outside; then, of those lying in the wanted box (a group's faces), it
   * holds as much area whole as fits, before it reaches for more of the wanted box. Default none.
   */
  whole?: readonly Box[];
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
  const whole = subject.whole ?? [];
  const inWanted = (b: Box): boolean => wanted !== undefined && contains(wanted, center(b));
  const spans = (axis: 'x' | 'y'): WholeSpan[] => whole.map((b) => ({ ...span(b, axis)!, gathered: inWanted(b) ? area(b) : 0 }));
  const x = placeAxis(image.width, size.width, subject.focalPoint.x, span(kept, 'x'), span(wanted, 'x'), spans('x'));
  const y = placeAxis(image.height, size.height, subject.focalPoint.y, span(kept, 'y'), span(wanted, 'y'), spans('y'));
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

/** A whole box on one axis, and the area it adds when a crop holds it (0 when it is outside the wanted box). */
interface WholeSpan extends Span {
  gathered: number;
}

function span(box: Box | undefined, axis: 'x' | 'y'): Span | undefined {
  if (!box) return undefined;
  return axis === 'x' ? { start: box.x, end: box.x + box.w } : { start: box.y, end: box.y + box.h };
}

/**
 * Start of a window of `length` on an axis of `total`: it contains `kept`; then it cuts through as
 * few of the `whole` spans as it can, holds as much `gathered` area of them whole as it can (of a
 * group whose faces do not all fit, as many faces as fit beside the chosen one, larger ones first:
 * a crop of two of three faces over one face), covers as much of `wanted` as it can, and within that freedom
 * sits as close to centred as possible: on `wanted` when a kept box fits and `wanted` is longer than
 * the window (so what does not fit is cut evenly from both ends), else on `focus`. The window's
 * freedom is at most the axis's length in whole pixels, so every start is tried.
 */
function placeAxis(total: number, length: number, focus: number, kept: Span | undefined, wanted: Span | undefined, whole: readonly WholeSpan[]): number {
  const centre = kept && wanted && wanted.end - wanted.start > length ? (wanted.start + wanted.end) / 2 : focus;
  const centred = Math.round(centre - length / 2);
  const lo = Math.max(0, kept ? Math.ceil(kept.end - length) : 0);
  const hi = Math.min(total - length, kept ? Math.floor(kept.start) : total - length);
  if (lo > hi) return clamp(centred, 0, total - length);
  let best = lo;
  let bestRank = rankAt(lo);
  for (let start = lo + 1; start <= hi; start++) {
    const rank = rankAt(start);
    if (isBetter(rank, bestRank)) {
      best = start;
      bestRank = rank;
    }
  }
  return best;

  function rankAt(start: number): Rank {
    const window = { start, end: start + length };
    let cuts = 0;
    let gathered = 0;
    for (const s of whole) {
      const inside = overlap(s, window);
      if (inside >= s.end - s.start) gathered += s.gathered;
      else if (inside > 0) cuts++;
    }
    return { cuts, gathered, covered: wanted ? overlap(wanted, window) : 0, offCentre: Math.abs(start - centred) };
  }
}

interface Rank {
  cuts: number;
  gathered: number;
  covered: number;
  offCentre: number;
}

function isBetter(a: Rank, b: Rank): boolean {
  if (a.cuts !== b.cuts) return a.cuts < b.cuts;
  if (a.gathered !== b.gathered) return a.gathered > b.gathered;
  if (a.covered !== b.covered) return a.covered > b.covered;
  return a.offCentre < b.offCentre;
}

function overlap(a: Span, b: Span): number {
  return Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
}
