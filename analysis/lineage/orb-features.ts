import { cv } from '../opencv/runtime.ts';
import { withMats } from '../opencv/mat-scope.ts';
import type { Box } from '../geometry/box.ts';
import type { GrayImage } from './gray-image.ts';

/** ORB keypoints and their 256-bit descriptors, strongest first. */
export interface OrbFeatures {
  /** Interleaved x, y in pixels of the feature frame. */
  points: Float32Array;
  /** 32 bytes per keypoint. */
  descriptors: Uint8Array;
}

export const DESCRIPTOR_BYTES = 32;

/**
 * FAST threshold, 15 (signature v3; 5 before): on the contrast-normalised frame most photos have more
 * corners above 15 than the 800 detected (4 of 83 validation images keep fewer than 400), and the weak
 * corners 5 let through cost ~30% of ORB's time (41.8 → 29.7 ms CPU) — synth:lineages gave the same
 * pairwise recall with 15 as with 5 (BENCHMARKS.md). Soft, low-contrast photos still get keypoints
 * through the fallback below.
 */
const FAST_THRESHOLD = 15;

/** Keypoints kept: two crops sharing a quarter of the picture still share ~100. */
const MAX_FEATURES = 400;

/** ORB's scale pyramid (OpenCV's defaults): 8 levels, each 1.2× smaller than the one before. */
const PYRAMID_LEVELS = 8;
const PYRAMID_SCALE = 1.2;

/**
 * The narrowest frame ORB takes: OpenCV rounds each level's size and asserts none is 0, so a side
 * that shrinks under half a pixel at the top level (1 px: a strip longer than ~290:1, scaled to its
 * 512 px frame) has no keypoints instead of failing the whole image as INTERNAL. 2 px.
 */
const MIN_FRAME_SIDE = Math.ceil(0.5 * PYRAMID_SCALE ** (PYRAMID_LEVELS - 1));

export interface OrbOptions {
  /** Regions (pixels of the frame) whose keypoints are dropped, e.g. title treatments. Default none. */
  exclude?: Box[];
}

/**
 * Detects ORB keypoints on a grayscale frame and keeps the strongest ones outside `exclude`. Soft or
 * small (upscaled) images can give only a handful at the normal FAST threshold — too few to align —
 * so when fewer than half of MAX_FEATURES are found, detection runs again at the lowest threshold.
 */
export function orbFeatures(frame: GrayImage, options: OrbOptions = {}): OrbFeatures {
  if (Math.min(frame.width, frame.height) < MIN_FRAME_SIDE) return { points: new Float32Array(0), descriptors: new Uint8Array(0) };
  const first = detectOrb(frame, MAX_FEATURES, FAST_THRESHOLD, options.exclude ?? []);
  if (first.points.length / 2 >= MAX_FEATURES / 2) return first;
  const second = detectOrb(frame, MAX_FEATURES, 1, options.exclude ?? []);
  return second.points.length > first.points.length ? second : first;
}

function detectOrb(frame: GrayImage, maxFeatures: number, fastThreshold: number, exclude: Box[]): OrbFeatures {
  return withMats((scope) => {
    const c = cv();
    const gray = scope.track(c.matFromArray(frame.height, frame.width, c.CV_8UC1, frame.data));
    // Detect more than needed: the grid spread picks among them. The edge threshold, first level, WTA_K,
    // score type and patch size (31, 0, 2, Harris, 31) are OpenCV's defaults.
    const orb = scope.track(new c.ORB(maxFeatures * 2, PYRAMID_SCALE, PYRAMID_LEVELS, 31, 0, 2, c.ORB_HARRIS_SCORE, 31, fastThreshold));
    const keypoints = scope.track(new c.KeyPointVector());
    const descriptors = scope.track(new c.Mat());
    orb.detectAndCompute(gray, scope.track(detectionMask(frame, exclude)), keypoints, descriptors);
    // One read of each keypoint: every get() converts a C++ KeyPoint into a new JS object.
    const found = Array.from({ length: keypoints.size() }, (_, index) => {
      const { pt, response } = keypoints.get(index);
      return { index, response, x: pt.x, y: pt.y };
    });
    // Stable tie-break on index keeps the signature deterministic.
    found.sort((p, q) => q.response - p.response || p.index - q.index);
    const kept = spreadOverGrid(found, frame, maxFeatures);
    const points = new Float32Array(kept.length * 2);
    const out = new Uint8Array(kept.length * DESCRIPTOR_BYTES);
    const raw = descriptors.data;
    kept.forEach(({ index, x, y }, k) => {
      points[k * 2] = x;
      points[k * 2 + 1] = y;
      out.set(raw.subarray(index * DESCRIPTOR_BYTES, (index + 1) * DESCRIPTOR_BYTES), k * DESCRIPTOR_BYTES);
    });
    return { points, descriptors: out };
  });
}

/**
 * Excluded regions are masked out of detection itself: text has the strongest corners of a picture,
 * and filtering afterwards would leave a titled image with almost none. When nothing is excluded the
 * mask is empty: ORB then finds the same keypoints as with a mask of 255 everywhere, without building
 * and filtering by a pyramid of it (~10% of its time).
 */
function detectionMask(frame: GrayImage, exclude: Box[]) {
  const c = cv();
  const regions = exclude.map((b) => ({
    x0: Math.max(0, Math.floor(b.x)),
    x1: Math.min(frame.width, Math.ceil(b.x + b.w)),
    y0: Math.max(0, Math.floor(b.y)),
    y1: Math.min(frame.height, Math.ceil(b.y + b.h)),
  }));
  if (!regions.some((r) => r.x1 > r.x0 && r.y1 > r.y0)) return new c.Mat();
  const mask = new c.Mat(frame.height, frame.width, c.CV_8UC1, new c.Scalar(255));
  for (const r of regions) {
    for (let y = r.y0; y < r.y1; y++) if (r.x1 > r.x0) mask.data.fill(0, y * frame.width + r.x0, y * frame.width + r.x1);
  }
  return mask;
}

const GRID = 6;

/**
 * Spreads the kept keypoints over a 6×6 grid: strongest of every cell first, then the second of every
 * cell, and so on, so that any prefix of the list (the candidate index takes the first ones) covers
 * the whole picture too. Without it a title or one high-contrast object takes every keypoint, and two
 * crops that share only a quarter of the picture share few of their strongest keypoints.
 */
function spreadOverGrid<T extends { index: number; response: number; x: number; y: number }>(order: T[], frame: GrayImage, maxFeatures: number): T[] {
  const rankInCell = new Int32Array(GRID * GRID);
  const ranked = order.map((item) => {
    const cell = Math.min(GRID - 1, Math.floor((item.y / frame.height) * GRID)) * GRID + Math.min(GRID - 1, Math.floor((item.x / frame.width) * GRID));
    return { item, rank: rankInCell[cell]!++ };
  });
  // `order` is strongest first with a stable tie-break, so this order is deterministic too.
  ranked.sort((p, q) => p.rank - q.rank || q.item.response - p.item.response || p.item.index - q.item.index);
  return ranked.slice(0, maxFeatures).map((r) => r.item);
}
