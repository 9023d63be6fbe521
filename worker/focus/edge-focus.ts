import type { Box, Point } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { withMats } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import { contentBounds } from './content-bounds.ts';
import { maxSumRectangle } from './max-sum-rectangle.ts';

export interface EdgeFocusOptions {
  /** Long side, in pixels, the energy map is computed at. Default 320. */
  workingSize?: number;
  /** Sigma of the Gaussian blur that removes noise and JPEG ringing before the Laplacian. Default 0.5:
   * stronger blur erases the fine detail that tells a sharp subject from a soft background. */
  blurSigma?: number;
  /** Cells along the long side of the energy grid the region is searched on. Default 40. */
  gridSize?: number;
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
}

export const DEFAULT_EDGE_FOCUS_OPTIONS: Required<EdgeFocusOptions> = {
  workingSize: 320,
  blurSigma: 0.5,
  gridSize: 40,
  threshold: 1.2,
  clipPercentile: 0.9,
};

export interface EdgeFocus {
  /** Region where sharp detail concentrates, in the input image's pixels. */
  roi: Box;
  /** Energy-weighted centre of the region. */
  focalPoint: Point;
  /** How much the region stands out: its mean energy over the image's, ≥ 0 (1 = no contrast). */
  contrast: number;
}

/**
 * Focus from sharpness: Gaussian blur, grayscale, Laplacian, absolute value gives an energy map
 * that is high where there is in-focus detail; the region of interest is the rectangle holding the
 * most energy above the image's mean (max-sum rectangle), the focal point its energy centroid.
 */
export function edgeFocus(image: RgbImage, options: EdgeFocusOptions = {}): EdgeFocus {
  const opts = { ...DEFAULT_EDGE_FOCUS_OPTIONS, ...options };
  const { cells: raw, cols, rows, area } = energyGrid(image, opts);
  const cells = clipAt(raw, percentile(raw, opts.clipPercentile));
  const mean = cells.reduce((s, v) => s + v, 0) / cells.length || 1;
  const excess = cells.map((v) => v - opts.threshold * mean);
  const rect = maxSumRectangle(excess, cols, rows);

  let weight = 0;
  let cx = 0;
  let cy = 0;
  let inside = 0;
  for (let r = rect.y; r < rect.y + rect.h; r++) {
    for (let c = rect.x; c < rect.x + rect.w; c++) {
      const e = cells[r * cols + c]!;
      inside += e;
      const w = Math.max(0, e - mean);
      weight += w;
      cx += w * (c + 0.5);
      cy += w * (r + 0.5);
    }
  }
  const cellW = area.w / cols;
  const cellH = area.h / rows;
  const centre = weight > 0 ? { x: cx / weight, y: cy / weight } : { x: rect.x + rect.w / 2, y: rect.y + rect.h / 2 };
  return {
    roi: { x: area.x + rect.x * cellW, y: area.y + rect.y * cellH, w: rect.w * cellW, h: rect.h * cellH },
    focalPoint: { x: area.x + centre.x * cellW, y: area.y + centre.y * cellH },
    contrast: inside / (rect.w * rect.h) / mean,
  };
}

interface EnergyGrid {
  /** Mean |Laplacian| per cell, row-major. */
  cells: Float64Array;
  cols: number;
  rows: number;
  /** The part of the input image the grid covers (inside any flat frame), in input pixels. */
  area: Box;
}

function energyGrid(image: RgbImage, opts: Required<EdgeFocusOptions>): EnergyGrid {
  const lib = cv();
  const scale = Math.min(1, opts.workingSize / Math.max(image.width, image.height));
  return withMats((scope) => {
    const rgb = scope.track(lib.matFromArray(image.height, image.width, lib.CV_8UC3, image.data));
    const small = scope.track(new lib.Mat());
    lib.resize(rgb, small, new lib.Size(Math.max(1, Math.round(image.width * scale)), Math.max(1, Math.round(image.height * scale))), 0, 0, lib.INTER_AREA);
    const blurred = scope.track(new lib.Mat());
    lib.GaussianBlur(small, blurred, new lib.Size(0, 0), opts.blurSigma, opts.blurSigma, lib.BORDER_REFLECT);
    const fullGray = scope.track(new lib.Mat());
    lib.cvtColor(blurred, fullGray, lib.COLOR_RGB2GRAY);
    const frame = insideFrame(contentBounds(fullGray.data, fullGray.cols, fullGray.rows), fullGray.cols, fullGray.rows);
    const gray = scope.track(fullGray.roi(new lib.Rect(frame.x, frame.y, frame.w, frame.h)));
    const laplacian = scope.track(new lib.Mat());
    lib.Laplacian(gray, laplacian, lib.CV_32F, 3, 1, 0, lib.BORDER_REFLECT);
    const energy = scope.track(new lib.Mat());
    lib.absdiff(laplacian, scope.track(lib.Mat.zeros(laplacian.rows, laplacian.cols, lib.CV_32F)), energy);
    const longSide = Math.max(frame.w, frame.h);
    const cols = Math.max(1, Math.round((frame.w / longSide) * opts.gridSize));
    const rows = Math.max(1, Math.round((frame.h / longSide) * opts.gridSize));
    const grid = scope.track(new lib.Mat());
    lib.resize(energy, grid, new lib.Size(cols, rows), 0, 0, lib.INTER_AREA);
    const toInput = image.width / fullGray.cols;
    const area = { x: frame.x * toInput, y: frame.y * toInput, w: frame.w * toInput, h: frame.h * toInput };
    return { cells: Float64Array.from(grid.data32F), cols, rows, area };
  });
}

/**
 * The content box of a framed image pulled in by 2% of the long side, clear of the frame's inner
 * edge and the light or dark rim a scanned canvas or print often has; never empty.
 */
function insideFrame(content: Box, width: number, height: number): Box {
  const margin = content.w === width && content.h === height ? 0 : Math.max(2, Math.round(0.02 * Math.max(width, height)));
  const x = Math.min(content.x + margin, width - 1);
  const y = Math.min(content.y + margin, height - 1);
  return { x, y, w: Math.max(1, Math.min(content.w - 2 * margin, width - x)), h: Math.max(1, Math.min(content.h - 2 * margin, height - y)) };
}

function percentile(values: Float64Array, p: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function clipAt(values: Float64Array, cap: number): Float64Array {
  return values.map((v) => Math.min(v, cap));
}
