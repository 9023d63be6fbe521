import { type Box, type Point, union } from '../geometry/box.ts';
import type { EnergyMap } from './energy-map.ts';
import { maxSumRectangle } from './max-sum-rectangle.ts';

export interface EdgeFocusOptions {
  /**
   * A cell belongs to the region of interest when its energy exceeds this multiple of the image's
   * mean energy. Default 1.2 (measured on focus/: 1.1-1.3 give the same hits).
   */
  threshold?: number;
  /**
   * Cell energies are capped at this percentile, so that a few extreme cells — the hard edge of a
   * frame, a line of text — cannot outweigh a large region of detail. Default 0.9.
   */
  clipPercentile?: number;
  /**
   * The same for the wider region of moderate detail around it (`context`). Default 0.8: on focus/
   * the sharp subject often reaches beyond its densest part, and 0.8 recovers it where a crop has
   * room, without moving any crop off a subject it already held (1.0 recovers less).
   */
  contextThreshold?: number;
}

const DEFAULT_EDGE_FOCUS_OPTIONS = { threshold: 1.2, clipPercentile: 0.9, contextThreshold: 0.8 };

export interface EdgeFocus {
  /** Region where sharp detail concentrates, in the input image's pixels. */
  roi: Box;
  /** Energy-weighted centre of the region. */
  focalPoint: Point;
  /** The region of moderate detail around it (contextThreshold), never smaller than `roi`. */
  context: Box;
}

/**
 * Focus from sharpness: on the energy map (high where there is in-focus detail) the region of
 * interest is the rectangle holding the most energy above the image's mean (max-sum rectangle),
 * the focal point its energy centroid.
 */
export function edgeFocusIn(map: EnergyMap, options: EdgeFocusOptions = {}): EdgeFocus {
  const opts = { ...DEFAULT_EDGE_FOCUS_OPTIONS, ...options };
  const { cols, rows } = map;
  const cells = clipAt(map.cells, percentile(map.cells, opts.clipPercentile));
  const mean = cells.reduce((s, v) => s + v, 0) / cells.length || 1;
  const rect = maxSumRectangle(cells.map((v) => v - opts.threshold * mean), cols, rows);
  // No cell stands above the threshold (a flat or evenly textured picture): no evidence for any
  // part, so the whole mapped area is the region and its centre the focal point — not the first cell.
  if (rect.sum <= 0) return { roi: map.area, focalPoint: { x: map.area.x + map.area.w / 2, y: map.area.y + map.area.h / 2 }, context: map.area };
  const wider = maxSumRectangle(cells.map((v) => v - opts.contextThreshold * mean), cols, rows);

  let weight = 0;
  let cx = 0;
  let cy = 0;
  for (let r = rect.y; r < rect.y + rect.h; r++) {
    for (let c = rect.x; c < rect.x + rect.w; c++) {
      const w = Math.max(0, cells[r * cols + c]! - mean);
      weight += w;
      cx += w * (c + 0.5);
      cy += w * (r + 0.5);
    }
  }
  const cellW = map.area.w / cols;
  const cellH = map.area.h / rows;
  const centre = weight > 0 ? { x: cx / weight, y: cy / weight } : { x: rect.x + rect.w / 2, y: rect.y + rect.h / 2 };
  const toImage = (r: Box): Box => ({ x: map.area.x + r.x * cellW, y: map.area.y + r.y * cellH, w: r.w * cellW, h: r.h * cellH });
  const roi = toImage(rect);
  return {
    roi,
    focalPoint: { x: map.area.x + centre.x * cellW, y: map.area.y + centre.y * cellH },
    context: union(roi, toImage(wider)),
  };
}

function percentile(values: Float64Array, p: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function clipAt(values: Float64Array, cap: number): Float64Array {
  return values.map((v) => Math.min(v, cap));
}
