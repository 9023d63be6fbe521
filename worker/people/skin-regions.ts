import { type Box, area, union } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { isSkin } from './skin-tone.ts';

/** Cells along the long side of the skin map: a cell is ~0.5% of the long side. */
const GRID_CELLS = 192;

/**
 * Regions of a colour photo where a face of up to `maxFace` px (working) can be, working px.
 * Verification rejects faces without skin in colour photos, so scanning elsewhere is wasted work.
 *
 * The skin map is cut into blocks of `maxFace`; a block holding at least `minSkinShare` skin is
 * kept with a margin of half a block all round (a face window whose centre lies in the block then
 * fits inside), and kept rectangles are merged wherever the union is no larger than the two apart,
 * so no pixel is scanned more often than it must.
 */
export function skinRegions(image: RgbImage, maxFace: number, minSkinShare = 0.05): Box[] {
  const cell = Math.max(1, Math.max(image.width, image.height) / GRID_CELLS);
  const cols = Math.max(1, Math.floor(image.width / cell));
  const rows = Math.max(1, Math.floor(image.height / cell));
  const blockCells = Math.max(1, Math.round(maxFace / cell));
  const regions: Box[] = [];
  for (let by = 0; by < rows; by += blockCells) {
    for (let bx = 0; bx < cols; bx += blockCells) {
      let skin = 0;
      let total = 0;
      for (let r = by; r < Math.min(rows, by + blockCells); r++) {
        for (let c = bx; c < Math.min(cols, bx + blockCells); c++) {
          const i = (Math.floor((r + 0.5) * cell) * image.width + Math.floor((c + 0.5) * cell)) * 3;
          if (isSkin(image.data[i]!, image.data[i + 1]!, image.data[i + 2]!)) skin++;
          total++;
        }
      }
      if (skin < Math.max(2, minSkinShare * total)) continue;
      const side = blockCells * cell;
      regions.push(clip({ x: bx * cell - side / 2, y: by * cell - side / 2, w: side * 2, h: side * 2 }, image));
    }
  }
  return mergeWhereCheaper(regions);
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
