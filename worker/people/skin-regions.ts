import { type Box, area, union } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { isSkin } from './skin-tone.ts';

/** Cells along the long side of the skin map: a cell is ~0.5% of the long side. */
const GRID_CELLS = 192;
/** Side of a face's skin core (cheeks, nose, mouth) relative to the face window. */
const CORE_SHARE = 0.5;

export interface SkinRegionOptions {
  /** Smallest face window the scan looks for, working px. */
  minFace: number;
  /** Largest face window the scan looks for, working px. */
  maxFace: number;
  /** Skin share a face core must hold (as face verification demands). Default 0.35. */
  minCoreSkin?: number;
}

/**
 * Regions of a colour photo where a face window of `minFace`..`maxFace` px (working) can be, working
 * px. Verification rejects faces without skin in colour photos, so scanning elsewhere is wasted.
 *
 * A face centre needs a core-sized patch around it that is mostly skin; since a larger core with
 * enough skin always holds a smallest-core patch with enough skin, testing patches of the smallest
 * core finds every possible centre. Centres are grouped in blocks of `maxFace`, each grown by half a
 * block so a window centred in it fits, and blocks are merged wherever the union is no larger than
 * the two apart, so no pixel is scanned more often than it must.
 */
export function skinRegions(image: RgbImage, options: SkinRegionOptions): Box[] {
  const minCoreSkin = options.minCoreSkin ?? 0.35;
  const cell = Math.max(1, Math.max(image.width, image.height) / GRID_CELLS);
  const cols = Math.max(1, Math.floor(image.width / cell));
  const rows = Math.max(1, Math.floor(image.height / cell));
  const integral = skinIntegral(image, cell, cols, rows);
  const at = (c: number, r: number): number => integral[r * (cols + 1) + c]!;
  const half = Math.max(1, Math.round((options.minFace * CORE_SHARE) / cell / 2));
  const blockCells = Math.max(1, Math.round(options.maxFace / cell));
  const blocks = new Set<number>();
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const c0 = Math.max(0, c - half);
      const r0 = Math.max(0, r - half);
      const c1 = Math.min(cols, c + half + 1);
      const r1 = Math.min(rows, r + half + 1);
      const skin = at(c1, r1) - at(c0, r1) - at(c1, r0) + at(c0, r0);
      if (skin >= minCoreSkin * (c1 - c0) * (r1 - r0)) {
        blocks.add(Math.floor(r / blockCells) * cols + Math.floor(c / blockCells));
      }
    }
  }
  const side = blockCells * cell;
  const regions = [...blocks].map((key) => {
    const bx = key % cols;
    const by = (key - bx) / cols;
    return clip({ x: bx * side - side / 2, y: by * side - side / 2, w: side * 2, h: side * 2 }, image);
  });
  return mergeWhereCheaper(regions);
}

/** Summed-area table of the skin map, (cols+1)×(rows+1). */
function skinIntegral(image: RgbImage, cell: number, cols: number, rows: number): Int32Array {
  const integral = new Int32Array((cols + 1) * (rows + 1));
  for (let r = 0; r < rows; r++) {
    let rowSum = 0;
    for (let c = 0; c < cols; c++) {
      const i = (Math.floor((r + 0.5) * cell) * image.width + Math.floor((c + 0.5) * cell)) * 3;
      rowSum += isSkin(image.data[i]!, image.data[i + 1]!, image.data[i + 2]!) ? 1 : 0;
      integral[(r + 1) * (cols + 1) + c + 1] = integral[r * (cols + 1) + c + 1]! + rowSum;
    }
  }
  return integral;
}

function clip(b: Box, image: RgbImage): Box {
  const x = Math.max(0, b.x);
  const y = Math.max(0, b.y);
  return { x, y, w: Math.min(image.width, b.x + b.w) - x, h: Math.min(image.height, b.y + b.h) - y };
}

/** Merges two regions whenever scanning their union costs no more pixels than scanning both. */
function mergeWhereCheaper(regions: Box[]): Box[] {
  const merged = regions.filter((r) => area(r) > 0);
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < merged.length && !changed; i++) {
      for (let j = i + 1; j < merged.length; j++) {
        const u = union(merged[i]!, merged[j]!);
        if (area(u) <= area(merged[i]!) + area(merged[j]!)) {
          merged[i] = u;
          merged.splice(j, 1);
          changed = true;
          break;
        }
      }
    }
  }
  return merged;
}
