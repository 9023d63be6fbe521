import type { Box, Point } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { withMats } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
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
}

export const DEFAULT_EDGE_FOCUS_OPTIONS: Required<EdgeFocusOptions> = {
  workingSize: 320,
  blurSigma: 0.5,
  gridSize: 40,
  threshold: 1.2,
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
  const { cells, cols, rows } = energyGrid(image, opts);
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
  const cellW = image.width / cols;
  const cellH = image.height / rows;
  const centre = weight > 0 ? { x: cx / weight, y: cy / weight } : { x: rect.x + rect.w / 2, y: rect.y + rect.h / 2 };
  return {
    roi: { x: rect.x * cellW, y: rect.y * cellH, w: rect.w * cellW, h: rect.h * cellH },
    focalPoint: { x: centre.x * cellW, y: centre.y * cellH },
    contrast: inside / (rect.w * rect.h) / mean,
  };
}

/** Mean |Laplacian| per grid cell, row-major. */
function energyGrid(image: RgbImage, opts: Required<EdgeFocusOptions>): { cells: Float64Array; cols: number; rows: number } {
  const lib = cv();
  const scale = Math.min(1, opts.workingSize / Math.max(image.width, image.height));
  const cols = Math.max(1, Math.round((image.width / Math.max(image.width, image.height)) * opts.gridSize));
  const rows = Math.max(1, Math.round((image.height / Math.max(image.width, image.height)) * opts.gridSize));
  return withMats((scope) => {
    const rgb = scope.track(lib.matFromArray(image.height, image.width, lib.CV_8UC3, image.data));
    const small = scope.track(new lib.Mat());
    lib.resize(rgb, small, new lib.Size(Math.round(image.width * scale), Math.round(image.height * scale)), 0, 0, lib.INTER_AREA);
    const blurred = scope.track(new lib.Mat());
    lib.GaussianBlur(small, blurred, new lib.Size(0, 0), opts.blurSigma, opts.blurSigma, lib.BORDER_REFLECT);
    const gray = scope.track(new lib.Mat());
    lib.cvtColor(blurred, gray, lib.COLOR_RGB2GRAY);
    const laplacian = scope.track(new lib.Mat());
    lib.Laplacian(gray, laplacian, lib.CV_32F, 3, 1, 0, lib.BORDER_REFLECT);
    const energy = scope.track(new lib.Mat());
    lib.absdiff(laplacian, scope.track(lib.Mat.zeros(laplacian.rows, laplacian.cols, lib.CV_32F)), energy);
    const grid = scope.track(new lib.Mat());
    lib.resize(energy, grid, new lib.Size(cols, rows), 0, 0, lib.INTER_AREA);
    return { cells: Float64Array.from(grid.data32F), cols, rows };
  });
}
