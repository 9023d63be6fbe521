import type * as OpenCV from '@techstark/opencv-js';
import { intersectionArea, type Box } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { withMats } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import { contentBounds } from './content-bounds.ts';
import { toGrayMat } from '../opencv/gray-mat.ts';

/** Long side, in pixels, the energy map is computed at: the scale "sharp" is judged at, and its cost. Other sizes not measured here; its choice is not recorded. */
const ENERGY_WORKING_SIZE = 320;
/**
 * Sigma of the Gaussian blur that removes noise and JPEG ringing before the Laplacian, 0.5: stronger
 * blur erases the fine detail that tells a sharp subject from a soft background.
 */
const NOISE_BLUR_SIGMA = 0.5;
/** Cells along the long side of the grid: 8 px each at ENERGY_WORKING_SIZE, the resolution of edge focus's region. Other grids not measured here. */
const GRID_CELLS = 40;

/**
 * Where an image is sharp: Gaussian blur, grayscale, Laplacian, absolute value, averaged over a grid
 * of cells. Computed inside any flat frame (letterbox, mat), whose hard inner edge is not detail.
 */
export class EnergyMap {
  /** Mean energy over all cells. */
  readonly mean: number;

  constructor(
    /** Mean |Laplacian| per cell, row-major. */
    readonly cells: Float64Array,
    readonly cols: number,
    readonly rows: number,
    /** The part of the image the grid covers, in the input image's pixels. */
    readonly area: Box,
  ) {
    this.mean = cells.reduce((s, v) => s + v, 0) / cells.length || 1;
  }

  /** The box of cell (c, r) in input pixels. */
  cellBox(c: number, r: number): Box {
    const w = this.area.w / this.cols;
    const h = this.area.h / this.rows;
    return { x: this.area.x + c * w, y: this.area.y + r * h, w, h };
  }

  /** Mean energy inside `box` (input pixels) over the image's mean: below 1 is softer than usual. */
  relativeEnergy(box: Box): number {
    let weighted = 0;
    let covered = 0;
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) {
        const overlap = intersectionArea(box, this.cellBox(c, r));
        weighted += overlap * this.cells[r * this.cols + c]!;
        covered += overlap;
      }
    }
    return covered > 0 ? weighted / covered / this.mean : 0;
  }
}

export function energyMap(image: RgbImage): EnergyMap {
  return withMats((scope) => energyMapOfGray(toGrayMat(scope, image)));
}

/**
 * energyMap from the working image's grey (toGrayMat), which the people stage shares: grey first,
 * then the downscale and blur on one channel instead of three (all three steps are linear, so the
 * order changes only 8-bit rounding).
 */
export function energyMapOfGray(image: OpenCV.Mat): EnergyMap {
  const lib = cv();
  const scale = Math.min(1, ENERGY_WORKING_SIZE / Math.max(image.cols, image.rows));
  return withMats((scope) => {
    const small = scope.track(new lib.Mat());
    lib.resize(image, small, new lib.Size(Math.max(1, Math.round(image.cols * scale)), Math.max(1, Math.round(image.rows * scale))), 0, 0, lib.INTER_AREA);
    const fullGray = scope.track(new lib.Mat());
    lib.GaussianBlur(small, fullGray, new lib.Size(0, 0), NOISE_BLUR_SIGMA, NOISE_BLUR_SIGMA, lib.BORDER_REFLECT);
    const frame = insideFrame(contentBounds(fullGray.data, fullGray.cols, fullGray.rows), fullGray.cols, fullGray.rows);
    const gray = scope.track(fullGray.roi(new lib.Rect(frame.x, frame.y, frame.w, frame.h)));
    const laplacian = scope.track(new lib.Mat());
    lib.Laplacian(gray, laplacian, lib.CV_32F, 3, 1, 0, lib.BORDER_REFLECT);
    const energy = scope.track(new lib.Mat());
    lib.absdiff(laplacian, scope.track(lib.Mat.zeros(laplacian.rows, laplacian.cols, lib.CV_32F)), energy);
    const longSide = Math.max(frame.w, frame.h);
    const cols = Math.max(1, Math.round((frame.w / longSide) * GRID_CELLS));
    const rows = Math.max(1, Math.round((frame.h / longSide) * GRID_CELLS));
    const grid = scope.track(new lib.Mat());
    lib.resize(energy, grid, new lib.Size(cols, rows), 0, 0, lib.INTER_AREA);
    const toInput = image.cols / fullGray.cols;
    const area = { x: frame.x * toInput, y: frame.y * toInput, w: frame.w * toInput, h: frame.h * toInput };
    return new EnergyMap(Float64Array.from(grid.data32F), cols, rows, area);
  });
}

/** A frame's inner edge and rim reach this share of the long side into the content box (at least 2 px). */
const FRAME_RIM = 0.02;

/**
 * The content box of a framed image pulled in by FRAME_RIM, clear of the frame's inner edge and the
 * light or dark rim a scanned canvas or print often has; never empty.
 */
function insideFrame(content: Box, width: number, height: number): Box {
  const margin = content.w === width && content.h === height ? 0 : Math.max(2, Math.round(FRAME_RIM * Math.max(width, height)));
  const x = Math.min(content.x + margin, width - 1);
  const y = Math.min(content.y + margin, height - 1);
  return { x, y, w: Math.max(1, Math.min(content.w - 2 * margin, width - x)), h: Math.max(1, Math.min(content.h - 2 * margin, height - y)) };
}
