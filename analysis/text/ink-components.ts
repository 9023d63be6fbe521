import type { InkRuns } from './ink-runs.ts';

/**
 * 8-connected components of a run-length binary map: their boxes, areas and runs. Runs touching in
 * neighbouring rows (overlapping or meeting at a corner) are joined with union-find, so the cost
 * follows the number of runs, not of pixels.
 */
export interface InkComponents {
  count: number;
  /** Box of each component: first column and row, one past the last column and row. */
  x0: Int32Array;
  y0: Int32Array;
  x1: Int32Array;
  y1: Int32Array;
  /** Ink pixels of each component. */
  area: Int32Array;
  /**
   * Rank of the component's first 2×2 block in a scan of block rows, top to bottom and left to
   * right: the order OpenCV's default 8-way labelling (block-based) numbers components in.
   */
  blockOrder: Float64Array;
  /** The runs of component k are runs[runStart[k] .. runStart[k + 1] - 1], in raster order. */
  runStart: Int32Array;
  runs: Int32Array;
  /** Row of each run. */
  runRow: Int32Array;
}

/** Labels the runs' components, numbered in raster order of their first pixel. */
export function inkComponents(ink: InkRuns): InkComponents {
  const { rowStart, start, end, count: runCount, width, height } = ink;
  const parent = new Int32Array(runCount);
  for (let r = 0; r < runCount; r++) parent[r] = r;
  for (let y = 1; y < height; y++) {
    let above = rowStart[y - 1]!;
    const aboveEnd = rowStart[y]!;
    for (let r = rowStart[y]!, rowEnd = rowStart[y + 1]!; r < rowEnd; r++) {
      // A run above touches [start - 1, end] (8-way): skip those ending further left, join the rest.
      while (above < aboveEnd && end[above]! < start[r]!) above++;
      for (let q = above; q < aboveEnd && start[q]! <= end[r]!; q++) join(parent, r, q);
    }
  }

  // Roots are the smallest run index of each component, so components come out in raster order.
  const label = new Int32Array(runCount);
  const runRow = new Int32Array(runCount);
  let count = 0;
  for (let y = 0; y < height; y++) {
    for (let r = rowStart[y]!, rowEnd = rowStart[y + 1]!; r < rowEnd; r++) {
      runRow[r] = y;
      const root = find(parent, r);
      label[r] = root === r ? count++ : label[root]!;
    }
  }
  const x0 = new Int32Array(count).fill(width);
  const y0 = new Int32Array(count);
  const x1 = new Int32Array(count);
  const y1 = new Int32Array(count);
  const area = new Int32Array(count);
  const blockOrder = new Float64Array(count).fill(Infinity);
  const runStart = new Int32Array(count + 1);
  const seen = new Uint8Array(count);
  for (let r = 0; r < runCount; r++) {
    const k = label[r]!;
    const y = runRow[r]!;
    if (!seen[k]) {
      seen[k] = 1;
      y0[k] = y;
    }
    y1[k] = y + 1;
    if (start[r]! < x0[k]!) x0[k] = start[r]!;
    if (end[r]! > x1[k]!) x1[k] = end[r]!;
    area[k] = area[k]! + end[r]! - start[r]!;
    const block = (y >> 1) * width + (start[r]! >> 1);
    if (block < blockOrder[k]!) blockOrder[k] = block;
    runStart[k + 1] = runStart[k + 1]! + 1;
  }
  for (let k = 0; k < count; k++) runStart[k + 1] = runStart[k + 1]! + runStart[k]!;
  const runs = new Int32Array(runCount);
  const next = runStart.slice(0, count);
  for (let r = 0; r < runCount; r++) runs[next[label[r]!]!++] = r;
  return { count, x0, y0, x1, y1, area, blockOrder, runStart, runs, runRow };
}

function find(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    const up = parent[parent[i]!]!;
    parent[i] = up;
    i = up;
  }
  return i;
}

/** Unites the sets of a and b under the smaller root. */
function join(parent: Int32Array, a: number, b: number): void {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra < rb) parent[rb] = ra;
  else if (rb < ra) parent[ra] = rb;
}
