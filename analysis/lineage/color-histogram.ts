import type { RgbImage } from '../image/rgb-image.ts';

/** Bins per HSV axis. Hue gets most bins: it is what tells a forest from a sunset; value gets few because exposure edits move it. */
const HISTOGRAM_BINS = { hue: 16, saturation: 4, value: 2 } as const;
const HISTOGRAM_SIZE = HISTOGRAM_BINS.hue * HISTOGRAM_BINS.saturation * HISTOGRAM_BINS.value;

/** Pixels sampled, on a grid: a histogram of 128 bins does not need every pixel. */
const HISTOGRAM_SAMPLES = 16_384;

/** Normalised HSV colour histogram (sums to 1), over about HISTOGRAM_SAMPLES pixels. */
export function colorHistogram(image: RgbImage): Float32Array {
  const hist = new Float32Array(HISTOGRAM_SIZE);
  const step = Math.max(1, Math.floor(Math.sqrt((image.width * image.height) / HISTOGRAM_SAMPLES)));
  let count = 0;
  for (let y = 0; y < image.height; y += step) {
    for (let x = 0; x < image.width; x += step) {
      const i = (y * image.width + x) * 3;
      hist[hsvBin(image.data[i]!, image.data[i + 1]!, image.data[i + 2]!)]! += 1;
      count++;
    }
  }
  for (let b = 0; b < hist.length; b++) hist[b]! /= count;
  return hist;
}

function hsvBin(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const delta = max - min;
  let hue = 0;
  if (delta > 0) {
    if (max === r) hue = ((g - b) / delta + 6) % 6;
    else if (max === g) hue = (b - r) / delta + 2;
    else hue = (r - g) / delta + 4;
  }
  const saturation = max === 0 ? 0 : delta / max;
  const { hue: hb, saturation: sb, value: vb } = HISTOGRAM_BINS;
  const h = Math.min(hb - 1, Math.floor((hue / 6) * hb));
  const s = Math.min(sb - 1, Math.floor(saturation * sb));
  const v = Math.min(vb - 1, Math.floor((max / 256) * vb));
  return (h * sb + s) * vb + v;
}

/** Bhattacharyya coefficient of two normalised histograms: 1 for identical distributions, 0 for disjoint ones. */
export function histogramSimilarity(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.sqrt(a[i]! * (b[i] ?? 0));
  return Math.min(1, sum);
}
