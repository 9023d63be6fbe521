/** An axis-aligned rectangle in pixels: top-left corner and size. Covers columns x..x+w-1. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

export function area(b: Box): number {
  return Math.max(0, b.w) * Math.max(0, b.h);
}

export function center(b: Box): Point {
  return { x: b.x + b.w / 2, y: b.y + b.h / 2 };
}

export function intersection(a: Box, b: Box): Box | undefined {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const w = Math.min(a.x + a.w, b.x + b.w) - x;
  const h = Math.min(a.y + a.h, b.y + b.h) - y;
  return w > 0 && h > 0 ? { x, y, w, h } : undefined;
}

export function intersectionArea(a: Box, b: Box): number {
  const i = intersection(a, b);
  return i ? area(i) : 0;
}

/** Intersection over union, 0..1. */
export function iou(a: Box, b: Box): number {
  const inter = intersectionArea(a, b);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Share of `inner`'s area that lies inside `outer`, 0..1. */
export function coverage(inner: Box, outer: Box): number {
  const a = area(inner);
  return a > 0 ? intersectionArea(inner, outer) / a : 0;
}

/** The smallest box holding both. */
export function union(a: Box, b: Box): Box {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

export function contains(outer: Box, p: Point): boolean {
  return p.x >= outer.x && p.x <= outer.x + outer.w && p.y >= outer.y && p.y <= outer.y + outer.h;
}

/** Multiplies every coordinate by `factor` (working pixels → displayed pixels). */
export function scaleBox(b: Box, factor: number): Box {
  return { x: b.x * factor, y: b.y * factor, w: b.w * factor, h: b.h * factor };
}

/** Whole pixels, clipped to the image: the form every box leaves artmeta in. */
export function toPixelBox(b: Box, image: Size): Box {
  const x0 = clamp(Math.round(b.x), 0, image.width);
  const y0 = clamp(Math.round(b.y), 0, image.height);
  const x1 = clamp(Math.round(b.x + b.w), x0, image.width);
  const y1 = clamp(Math.round(b.y + b.h), y0, image.height);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** The whole pixels `b` touches, within the image: its edges rounded outwards (toPixelBox rounds them to the nearest). */
export function enclosingPixelBox(b: Box, image: Size): Box {
  const x = Math.max(0, Math.floor(b.x));
  const y = Math.max(0, Math.floor(b.y));
  const w = Math.min(image.width, Math.ceil(b.x + b.w)) - x;
  const h = Math.min(image.height, Math.ceil(b.y + b.h)) - y;
  return { x, y, w, h };
}

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}
