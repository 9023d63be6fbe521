/** A grey image with its summed-area table, so the mean over any box costs four reads. */
export interface GrayPlane {
  data: Uint8Array;
  width: number;
  height: number;
  /** (width + 1) × (height + 1) running sums; row 0 and column 0 are zero. */
  integral: Int32Array;
}

/** Sum of the plane over columns x0..x1-1 and rows y0..y1-1, clipped to the plane. */
export function boxSum(plane: GrayPlane, x0: number, y0: number, x1: number, y1: number): number {
  const ax = Math.max(0, Math.min(plane.width, Math.round(x0)));
  const bx = Math.max(ax, Math.min(plane.width, Math.round(x1)));
  const ay = Math.max(0, Math.min(plane.height, Math.round(y0)));
  const by = Math.max(ay, Math.min(plane.height, Math.round(y1)));
  const s = plane.width + 1;
  const t = plane.integral;
  return t[by * s + bx]! - t[ay * s + bx]! - t[by * s + ax]! + t[ay * s + ax]!;
}

/** Mean over the clipped box, 0 when the box is empty. */
export function boxMean(plane: GrayPlane, x0: number, y0: number, x1: number, y1: number): number {
  const w = Math.min(plane.width, Math.round(x1)) - Math.max(0, Math.round(x0));
  const h = Math.min(plane.height, Math.round(y1)) - Math.max(0, Math.round(y0));
  return w > 0 && h > 0 ? boxSum(plane, x0, y0, x1, y1) / (w * h) : 0;
}
