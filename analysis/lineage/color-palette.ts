import type { RgbImage } from '../image/rgb-image.ts';

/** A colour signature for EMD: cluster centres in CIELAB and the share of pixels each one holds. */
export interface ColorPalette {
  /** k × (L, a, b). */
  lab: Float32Array;
  /** k weights summing to 1. */
  weights: Float32Array;
}

/** Palette colours for EMD. Part of the signature format (stored k × Lab with weights); its choice is not recorded. */
const PALETTE_COLORS = 8;
/** Pixels sampled (grid): 1024 fix the weights of 8 colours to about 1/1000, at a quarter of the k-means time of 4096. */
const PALETTE_SAMPLES = 1024;
/** k-means iterations, a fixed count (no convergence test), so every palette costs the same. Whether 12 converge is not measured. */
const KMEANS_ITERATIONS = 12;

/**
 * k-means palette in CIELAB. Seeded deterministically (farthest-point from the mean colour) so the same
 * image always gives the same signature — OpenCV's kmeans draws from a global RNG.
 */
export function colorPalette(image: RgbImage): ColorPalette {
  const k = PALETTE_COLORS;
  const samples = sampleLab(image);
  const n = samples.length / 3;
  const centres = seedCentres(samples, k);
  const assignment = new Int32Array(n);
  for (let iter = 0; iter < KMEANS_ITERATIONS; iter++) {
    assign(samples, centres, assignment);
    const sums = new Float64Array(k * 3);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const c = assignment[i]!;
      counts[c]!++;
      for (let d = 0; d < 3; d++) sums[c * 3 + d]! += samples[i * 3 + d]!;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c]! > 0) for (let d = 0; d < 3; d++) centres[c * 3 + d] = sums[c * 3 + d]! / counts[c]!;
    }
  }
  assign(samples, centres, assignment);
  const weights = new Float32Array(k);
  for (let i = 0; i < n; i++) weights[assignment[i]!]! += 1 / n;
  return { lab: centres, weights };
}

function sampleLab(image: RgbImage): Float32Array {
  const step = Math.max(1, Math.floor(Math.sqrt((image.width * image.height) / PALETTE_SAMPLES)));
  const out = new Float32Array(Math.ceil(image.width / step) * Math.ceil(image.height / step) * 3);
  let o = 0;
  for (let y = 0; y < image.height; y += step) {
    for (let x = 0; x < image.width; x += step) {
      const i = (y * image.width + x) * 3;
      out.set(rgbToLab(image.data[i]!, image.data[i + 1]!, image.data[i + 2]!), o);
      o += 3;
    }
  }
  return out;
}

function seedCentres(samples: Float32Array, k: number): Float32Array {
  const n = samples.length / 3;
  const centres = new Float32Array(k * 3);
  const mean = new Float64Array(3);
  for (let i = 0; i < n; i++) for (let d = 0; d < 3; d++) mean[d]! += samples[i * 3 + d]! / n;
  const nearest = new Float64Array(n).fill(Infinity);
  let previous: ArrayLike<number> = mean;
  for (let c = 0; c < k; c++) {
    let best = 0;
    let bestDist = -1;
    for (let i = 0; i < n; i++) {
      const dist = squaredDistance(samples, i, previous, 0);
      if (dist < nearest[i]!) nearest[i] = dist;
      if (nearest[i]! > bestDist) {
        bestDist = nearest[i]!;
        best = i;
      }
    }
    previous = samples.subarray(best * 3, best * 3 + 3);
    centres.set(previous, c * 3);
  }
  return centres;
}

function assign(samples: Float32Array, centres: Float32Array, assignment: Int32Array): void {
  const k = centres.length / 3;
  for (let i = 0; i < assignment.length; i++) {
    let best = 0;
    let bestDist = Infinity;
    for (let c = 0; c < k; c++) {
      const dist = squaredDistance(samples, i, centres, c * 3);
      if (dist < bestDist) {
        bestDist = dist;
        best = c;
      }
    }
    assignment[i] = best;
  }
}

/** Squared distance from sample `i` to the colour at `at` in `centres` (read in place, nothing allocated per pair). */
function squaredDistance(samples: Float32Array, i: number, centres: ArrayLike<number>, at: number): number {
  const dl = samples[i * 3]! - centres[at]!;
  const da = samples[i * 3 + 1]! - centres[at + 1]!;
  const db = samples[i * 3 + 2]! - centres[at + 2]!;
  return dl * dl + da * da + db * db;
}

/** sRGB (D65) to CIELAB. */
function rgbToLab(r: number, g: number, b: number): [number, number, number] {
  const lr = linear(r);
  const lg = linear(g);
  const lb = linear(b);
  const x = (0.4124 * lr + 0.3576 * lg + 0.1805 * lb) / 0.95047;
  const y = 0.2126 * lr + 0.7152 * lg + 0.0722 * lb;
  const z = (0.0193 * lr + 0.1192 * lg + 0.9505 * lb) / 1.08883;
  const fx = labF(x);
  const fy = labF(y);
  const fz = labF(z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

function linear(channel: number): number {
  const c = channel / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function labF(t: number): number {
  return t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116;
}
