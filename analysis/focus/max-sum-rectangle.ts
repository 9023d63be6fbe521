/** A rectangle of grid cells: columns x..x+w-1, rows y..y+h-1. */
export interface CellRect {
  x: number;
  y: number;
  w: number;
  h: number;
  sum: number;
}

/**
 * The sub-rectangle of a `cols`×`rows` grid (row-major `values`) with the largest sum (Kadane in 2-D,
 * O(cols² · rows)). With values "energy minus a threshold" it is the tightest box that holds the
 * region of above-threshold energy, without a fixed size or shape.
 */
export function maxSumRectangle(values: Float64Array | Float32Array, cols: number, rows: number): CellRect {
  let best: CellRect = { x: 0, y: 0, w: cols, h: rows, sum: -Infinity };
  const columnSums = new Float64Array(rows);
  for (let left = 0; left < cols; left++) {
    columnSums.fill(0);
    for (let right = left; right < cols; right++) {
      for (let r = 0; r < rows; r++) columnSums[r]! += values[r * cols + right]!;
      let runSum = 0;
      let runStart = 0;
      for (let r = 0; r < rows; r++) {
        if (runSum <= 0) {
          runSum = 0;
          runStart = r;
        }
        runSum += columnSums[r]!;
        if (runSum > best.sum) best = { x: left, y: runStart, w: right - left + 1, h: r - runStart + 1, sum: runSum };
      }
    }
  }
  return best;
}
