/**
 * `npm run quantize:face [-- <negatives dir>]`: writes .scratch/face_detection_back_256x256_int8.onnx,
 * the int8 form of the BlazeFace network of the people stage, by the recipe of
 * scripts/network-quantization.ts. Not shipped: it was no faster and lost faces (BENCHMARKS.md, Focal
 * point: the face network in int8); the script keeps that measurement reproducible.
 *
 * Calibration images (never ../shared/data): the face-negatives set of `npm run negatives:collect`
 * (skin, tattoos, animals, toys, round food from Debian and npm packages) and the two whole photos
 * with people of `@vladmandic/face-api` 1.7.15's demo that the validation set does not hold
 * (sample3.jpg, sample4.jpg; the negatives' skin crops come from them).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeImage } from '../analysis/image/decode-image.ts';
import { FACE_NETWORK_FILE, faceNetworkInput } from '../analysis/people/face-network.ts';
import { quantizeNetwork } from './network-quantization.ts';

const OUT = '.scratch/face_detection_back_256x256_int8.onnx';
/**
 * As the text network: the stem and first stage (maps at 1/2 and 1/4 of the input) stay fp32.
 * Network alone, int8 / fp32 median time over 40 photos x3 in one run each: 0.98 with this and the
 * head fp32; with the head int8 too, 1.14 with this, 1.22 with every convolution int8, 0.97 from
 * stride 16 on, 1.34 with only the 1×1 convolutions int8 (5×5 depthwise ones fp32).
 */
const MIN_INT8_STRIDE = 8;
const PEOPLE_PHOTOS = ['sample3.jpg', 'sample4.jpg'];

async function main(): Promise<void> {
  const negatives = process.argv[2] ?? '.scratch/face-negatives';
  const demo = join(negatives, 'packages', 'face-api', 'package', 'demo');
  const images = [
    ...(await readdir(negatives)).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(negatives, f)),
    ...PEOPLE_PHOTOS.map((f) => join(demo, f)),
  ];
  const { int8, convs } = await quantizeNetwork({
    source: FACE_NETWORK_FILE,
    out: OUT,
    images,
    input: async (image) => faceNetworkInput((await decodeImage(image)).pixels),
    inputWidth: (input) => input.dims[2]!,
    minInt8Stride: MIN_INT8_STRIDE,
    headInFp32: true,
  });
  process.stdout.write(`calibrated on ${images.length} images of ${negatives}; ${int8} of ${convs} convolutions int8 → ${OUT}\n`);
}

await main();
