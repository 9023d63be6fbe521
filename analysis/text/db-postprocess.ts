import type { Box, Point } from '../geometry/box.ts';
import { withMats } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import type { ProbabilityMap } from './text-detector-network.ts';

/** PaddleOCR's DBPostProcess settings (its defaults for PP-OCR det inference). */
export interface DbOptions {
  /** Probability a map pixel needs to count as text (DB's `thresh`). */
  binaryThreshold: number;
  /** Mean probability inside a box for it to be kept (`box_thresh`). */
  boxThreshold: number;
  /** How far a shrunk text kernel is grown back (`unclip_ratio`): area × ratio / perimeter. */
  unclipRatio: number;
  /** Shortest side, map px, of a box before and (plus 2) after unclipping (`min_size`). */
  minSize: number;
  /** Contours looked at, at most (`max_candidates`). */
  maxCandidates: number;
}

export const PADDLE_DB_OPTIONS: DbOptions = { binaryThreshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, minSize: 3, maxCandidates: 1000 };

/** How far outside an edge a pixel centre may lie and still count as inside: half a pixel, as a rasterised polygon covers its edge pixels. */
const EDGE_SLACK_PX = 0.5;

/** A text box DB found: its axis-aligned extent in image px, its mean map probability, its tilt. */
export interface DbBox extends Box {
  score: number;
  /** Tilt of the box's long side, degrees in (-45, 45]. */
  angle: number;
  /** The unclipped rotated box's corners in image px. */
  corners: Point[];
  /** The axis-aligned extent of the shrunk text kernel DB found (before unclipping), image px: the text's core. */
  kernel: Box;
}

interface RotatedRect {
  center: Point;
  size: { width: number; height: number };
  angle: number;
}

/**
 * DB post-processing as PaddleOCR does it: binarise the map, take each contour's minimum-area
 * rectangle, score it by the mean probability inside ("fast" score mode), grow it by the unclip
 * distance, drop small ones, and map it to image px. OpenCV must be loaded.
 */
export function dbBoxes(map: ProbabilityMap, options: DbOptions = PADDLE_DB_OPTIONS): DbBox[] {
  const rects = withMats((scope) => {
    const c = cv();
    const bitmap = scope.track(new c.Mat(map.height, map.width, c.CV_8UC1));
    // Locals, not property reads in the loop: it runs over every map pixel (a third less time).
    const bits = bitmap.data;
    const probabilities = map.data;
    const threshold = options.binaryThreshold;
    for (let i = 0; i < probabilities.length; i++) bits[i] = probabilities[i]! > threshold ? 255 : 0;
    const contours = scope.track(new c.MatVector());
    const hierarchy = scope.track(new c.Mat());
    c.findContours(bitmap, contours, hierarchy, c.RETR_LIST, c.CHAIN_APPROX_SIMPLE);
    const found: RotatedRect[] = [];
    for (let i = 0; i < Math.min(contours.size(), options.maxCandidates); i++) {
      const contour = contours.get(i);
      try {
        found.push(c.minAreaRect(contour) as unknown as RotatedRect);
      } finally {
        contour.delete();
      }
    }
    return found;
  });
  const boxes: DbBox[] = [];
  for (const rect of rects) {
    const { width, height } = rect.size;
    if (Math.min(width, height) < options.minSize) continue;
    const score = meanInside(map, corners(rect));
    if (score < options.boxThreshold) continue;
    const distance = (width * height * options.unclipRatio) / (2 * (width + height));
    const grown: RotatedRect = { ...rect, size: { width: width + 2 * distance, height: height + 2 * distance } };
    if (Math.min(grown.size.width, grown.size.height) < options.minSize + 2) continue;
    const points = toImage(map, corners(grown));
    boxes.push({ ...extent(points), score, angle: tilt(grown), corners: points, kernel: extent(toImage(map, corners(rect))) });
  }
  return boxes;
}

function toImage(map: ProbabilityMap, points: Point[]): Point[] {
  return points.map((p) => ({
    x: Math.min(Math.max(p.x * map.scaleX, 0), map.width * map.scaleX),
    y: Math.min(Math.max(p.y * map.scaleY, 0), map.height * map.scaleY),
  }));
}

function extent(points: Point[]): Box {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

function corners(rect: RotatedRect): Point[] {
  const a = (rect.angle * Math.PI) / 180;
  const ux = { x: Math.cos(a) * (rect.size.width / 2), y: Math.sin(a) * (rect.size.width / 2) };
  const uy = { x: -Math.sin(a) * (rect.size.height / 2), y: Math.cos(a) * (rect.size.height / 2) };
  const { x, y } = rect.center;
  return [
    { x: x - ux.x - uy.x, y: y - ux.y - uy.y },
    { x: x + ux.x - uy.x, y: y + ux.y - uy.y },
    { x: x + ux.x + uy.x, y: y + ux.y + uy.y },
    { x: x - ux.x + uy.x, y: y - ux.y + uy.y },
  ];
}

/** The long side's tilt in degrees, in (-45, 45]. */
function tilt(rect: RotatedRect): number {
  let angle = rect.size.width >= rect.size.height ? rect.angle : rect.angle + 90;
  while (angle > 45) angle -= 90;
  while (angle <= -45) angle += 90;
  return angle;
}

/** Mean map probability over the pixels of the quadrilateral's bounding box that lie inside it. */
function meanInside(map: ProbabilityMap, quad: Point[]): number {
  const x0 = Math.max(0, Math.floor(Math.min(...quad.map((p) => p.x))));
  const x1 = Math.min(map.width - 1, Math.ceil(Math.max(...quad.map((p) => p.x))));
  const y0 = Math.max(0, Math.floor(Math.min(...quad.map((p) => p.y))));
  const y1 = Math.min(map.height - 1, Math.ceil(Math.max(...quad.map((p) => p.y))));
  const edges = unitEdges(quad);
  let sum = 0;
  let n = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (!insideConvex(edges, x, y)) continue;
      sum += map.data[y * map.width + x]!;
      n++;
    }
  }
  return n ? sum / n : 0;
}

/** Each edge of a convex polygon: its start and its unit direction. */
interface UnitEdge {
  x: number;
  y: number;
  ux: number;
  uy: number;
}

function unitEdges(quad: Point[]): UnitEdge[] {
  return quad.map((a, i) => {
    const b = quad[(i + 1) % quad.length]!;
    const length = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    return { x: a.x, y: a.y, ux: (b.x - a.x) / length, uy: (b.y - a.y) / length };
  });
}

/** Whether (x, y) lies inside or on the edge of a convex polygon (EDGE_SLACK_PX of slack). */
function insideConvex(edges: UnitEdge[], x: number, y: number): boolean {
  let sign = 0;
  for (const e of edges) {
    const cross = e.ux * (y - e.y) - e.uy * (x - e.x);
    if (Math.abs(cross) <= EDGE_SLACK_PX) continue;
    const s = Math.sign(cross);
    if (sign && s !== sign) return false;
    sign = s;
  }
  return true;
}
