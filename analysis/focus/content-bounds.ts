import type { Box } from '../geometry/box.ts';

/** A row or column whose gray levels vary less than this (standard deviation) is border. */
const FLAT_LINE_DEVIATION = 4;
/** Never trim more than this share of a side, so a flat sky or wall is not all taken for frame. */
const MAX_TRIM_SHARE = 0.25;

/**
 * The part of a gray image inside any flat frame: letterbox and pillarbox bars, mats and borders
 * around scanned artwork. Their sharp inner edge is the strongest "detail" in the picture and would
 * otherwise pull edge focus onto the frame.
 */
export function contentBounds(gray: Uint8Array, width: number, height: number): Box {
  const rowFlat = (y: number) => deviation((i) => gray[y * width + i]!, width) < FLAT_LINE_DEVIATION;
  const colFlat = (x: number) => deviation((i) => gray[i * width + x]!, height) < FLAT_LINE_DEVIATION;
  const top = trim(rowFlat, 0, 1, Math.floor(height * MAX_TRIM_SHARE));
  const bottom = trim(rowFlat, height - 1, -1, Math.floor(height * MAX_TRIM_SHARE));
  const left = trim(colFlat, 0, 1, Math.floor(width * MAX_TRIM_SHARE));
  const right = trim(colFlat, width - 1, -1, Math.floor(width * MAX_TRIM_SHARE));
  return { x: left, y: top, w: width - left - right, h: height - top - bottom };
}

/** How many lines from `start`, stepping by `step`, are flat (at most `limit`). */
function trim(flat: (line: number) => boolean, start: number, step: number, limit: number): number {
  let count = 0;
  while (count < limit && flat(start + count * step)) count++;
  return count;
}

function deviation(value: (i: number) => number, n: number): number {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const v = value(i);
    sum += v;
    squares += v * v;
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, squares / n - mean * mean));
}
