import type { InkComponents } from './ink-components.ts';
import type { InkRuns } from './ink-runs.ts';

/**
 * Distance to the background inside one component: the 3×3 chamfer transform OpenCV's
 * distanceTransform(DIST_L2, 3) computes, in the same fixed-point steps and the same two passes,
 * so the values are identical to it. Every path from a component pixel to its nearest background
 * pixel stays inside the component (its neighbours are its own pixels or background), so the passes
 * visit only the component's runs, in a window of its box plus a one-pixel margin.
 */
export interface ComponentDistance {
  /** Distances over the window, row-major; 0 off the component. */
  values: Float32Array;
  /** Window position in the image (the component's box less one pixel) and row length. */
  left: number;
  top: number;
  stride: number;
}

/** Reusable window buffers for the components of one map: grown, never shrunk. */
export class DistanceScratch {
  steps = new Uint32Array(0);
  values = new Float32Array(0);

  /** Zeroed buffers of at least `size` cells. */
  cleared(size: number): { steps: Uint32Array; values: Float32Array } {
    if (this.steps.length < size) {
      this.steps = new Uint32Array(size);
      this.values = new Float32Array(size);
    } else {
      this.steps.fill(0, 0, size);
      this.values.fill(0, 0, size);
    }
    return { steps: this.steps, values: this.values };
  }
}

const SHIFT = 16;
/** OpenCV's CV_FLT_TO_FIX(0.955f, 16) and CV_FLT_TO_FIX(1.3693f, 16): the DIST_L2 3×3 steps. */
const STRAIGHT = Math.round(Math.fround(0.955) * (1 << SHIFT));
const DIAGONAL = Math.round(Math.fround(1.3693) * (1 << SHIFT));
/** OpenCV's DIST_MAX: what lies beyond the image edge (no path leaves the image), and the cap. */
const OUTSIDE = 0xffffffff - DIAGONAL;

/** Component k's distance transform, in `scratch`'s buffers: valid until the next call with them. */
export function componentDistance(ink: InkRuns, components: InkComponents, k: number, scratch: DistanceScratch): ComponentDistance {
  const left = components.x0[k]! - 1;
  const top = components.y0[k]! - 1;
  const stride = components.x1[k]! - left + 1;
  const rows = components.y1[k]! - top + 1;
  const { steps, values } = scratch.cleared(stride * rows);
  markOutside(steps, left, top, stride, rows, ink.width, ink.height);

  const first = components.runStart[k]!;
  const last = components.runStart[k + 1]! - 1;
  // Forward pass, in raster order: up-left, up, up-right and left are final already.
  for (let n = first; n <= last; n++) {
    const run = components.runs[n]!;
    const row = (components.runRow[run]! - top) * stride - left;
    for (let i = row + ink.start[run]!, end = row + ink.end[run]!; i < end; i++) {
      let t = steps[i - stride - 1]! + DIAGONAL;
      const up = steps[i - stride]! + STRAIGHT;
      if (up < t) t = up;
      const upRight = steps[i - stride + 1]! + DIAGONAL;
      if (upRight < t) t = upRight;
      const back = steps[i - 1]! + STRAIGHT;
      if (back < t) t = back;
      steps[i] = t > OUTSIDE ? OUTSIDE : t;
    }
  }
  // Backward pass, in reverse raster order: down-right, down, down-left and right.
  for (let n = last; n >= first; n--) {
    const run = components.runs[n]!;
    const row = (components.runRow[run]! - top) * stride - left;
    for (let i = row + ink.end[run]! - 1, end = row + ink.start[run]!; i >= end; i--) {
      let t = steps[i]!;
      if (t > STRAIGHT) {
        const downRight = steps[i + stride + 1]! + DIAGONAL;
        if (downRight < t) t = downRight;
        const down = steps[i + stride]! + STRAIGHT;
        if (down < t) t = down;
        const downLeft = steps[i + stride - 1]! + DIAGONAL;
        if (downLeft < t) t = downLeft;
        const ahead = steps[i + 1]! + STRAIGHT;
        if (ahead < t) t = ahead;
        steps[i] = t;
      }
      // Float32 rounding of t / 2^16, as OpenCV's (float)(t * scale).
      values[i] = t / (1 << SHIFT);
    }
  }
  return { values, left, top, stride };
}

/**
 * Sets the window's margin cells beyond the image edge to OUTSIDE. Plain loops: a rarely taken
 * branch calling a method would leave the optimiser without feedback and deoptimise the caller.
 */
function markOutside(steps: Uint32Array, left: number, top: number, stride: number, rows: number, width: number, height: number): void {
  const firstColumn = left < 0 ? 0 : -1;
  const lastColumn = left + stride > width ? stride - 1 : -1;
  const firstRow = top < 0 ? 0 : -1;
  const lastRow = top + rows > height ? rows - 1 : -1;
  for (let r = 0; r < rows; r++) {
    if (firstColumn === 0) steps[r * stride] = OUTSIDE;
    if (lastColumn > 0) steps[r * stride + lastColumn] = OUTSIDE;
  }
  for (let c = 0; c < stride; c++) {
    if (firstRow === 0) steps[c] = OUTSIDE;
    if (lastRow > 0) steps[lastRow * stride + c] = OUTSIDE;
  }
}
