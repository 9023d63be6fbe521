import { fileURLToPath } from 'node:url';
import type * as OpenCV from '@techstark/opencv-js';
import * as ort from 'onnxruntime-node';
import { ArtmetaError } from '../errors.ts';
import { NetworkSession } from '../onnx/network-session.ts';
import type { Box } from '../geometry/box.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { withMats } from '../opencv/mat-scope.ts';
import { rgbMat } from '../opencv/rgb-mat.ts';
import { cv } from '../opencv/runtime.ts';
import { BLAZEFACE_INPUT_SIZE, decodeBlazeFace, type ScoredBox, suppressOverlaps } from './blazeface-decoder.ts';

/** A face the network found, working px, with the network's score in [0,1]. */
export type NetworkFace = ScoredBox;

export interface FaceNetworkOptions {
  /** Lowest score kept. Default 0.5; verification decides which of them are faces. */
  minScore: number;
  /**
   * Side of each of the four corner tiles the network also looks at, as a share of the image's
   * sides. Default 0.6 (tiles overlap by a fifth, so a face on a tile border is whole in another).
   * The network sees 256 px: on the whole image it misses faces under ~4% of the long side, which
   * the tiles bring within reach. 0 = whole image only.
   */
  tileShare: number;
}

export const DEFAULT_FACE_NETWORK_OPTIONS: FaceNetworkOptions = { minScore: 0.5, tileShare: 0.6 };

/** MediaPipe BlazeFace full range, see models/README.md. Input 1×256×256×3 (NHWC), RGB in [-1,1]. */
const MODEL_FILE = fileURLToPath(new URL('../../models/face_detection_back_256x256_barracuda.onnx', import.meta.url));
const OUTPUTS = { scores16: 'Identity:0', scores8: 'Identity_1:0', boxes16: 'Identity_2:0', boxes8: 'Identity_3:0' } as const;

const network = new NetworkSession(MODEL_FILE, 'face network');

/** Loads the face network once per process (or worker thread), see NetworkSession. */
export function loadFaceNetwork(): Promise<ort.InferenceSession> {
  return network.load();
}

/**
 * Faces found by the network on the whole image and on its four corner tiles, one box per face,
 * best first, in working px. OpenCV must be loaded (it letterboxes the network's inputs).
 */
export async function findNetworkFaces(image: RgbImage, options: Partial<FaceNetworkOptions> = {}): Promise<NetworkFace[]> {
  const opts = { ...DEFAULT_FACE_NETWORK_OPTIONS, ...options };
  if (!(opts.tileShare === 0 || (opts.tileShare > 0 && opts.tileShare < 1))) {
    throw new ArtmetaError('INVALID_ARGUMENT', 'faceNetwork.tileShare must be 0 or between 0 and 1');
  }
  if (image.width === 0 || image.height === 0) return [];
  const net = await loadFaceNetwork();
  const regions = networkRegions(image, opts.tileShare);
  const inputs = networkInputs(image, regions);
  const found: NetworkFace[] = [];
  for (const [i, region] of regions.entries()) {
    const result = await net.run({ [net.inputNames[0]!]: inputs[i]! });
    const read = (name: string): Float32Array => result[name]!.data as Float32Array;
    const boxes = decodeBlazeFace(
      { scores16: read(OUTPUTS.scores16), boxes16: read(OUTPUTS.boxes16), scores8: read(OUTPUTS.scores8), boxes8: read(OUTPUTS.boxes8) },
      opts.minScore,
    );
    const side = Math.max(region.w, region.h);
    found.push(...boxes.map((b) => ({ x: region.x + b.x * side, y: region.y + b.y * side, w: b.w * side, h: b.h * side, score: b.score })));
  }
  return suppressOverlaps(found);
}

/** The whole image, then its four corner tiles (when tiled), integer working px. */
function networkRegions(image: RgbImage, tileShare: number): Box[] {
  const whole = { x: 0, y: 0, w: image.width, h: image.height };
  if (tileShare === 0) return [whole];
  const w = Math.max(1, Math.round(image.width * tileShare));
  const h = Math.max(1, Math.round(image.height * tileShare));
  const corners = [
    [0, 0],
    [image.width - w, 0],
    [0, image.height - h],
    [image.width - w, image.height - h],
  ] as const;
  return [whole, ...corners.map(([x, y]) => ({ x, y, w, h }))];
}

/**
 * Each region scaled so its long side is the network's input side and padded with black to a square
 * at the right and bottom (so a box's unit coordinates times the long side are region px), as
 * NHWC float tensors in [-1,1]. Regions of one scale are cut from one scaled copy of the image, and
 * each smaller copy is made from the one before: INTER_AREA from the full working image is the
 * costly step, so it runs once.
 */
function networkInputs(image: RgbImage, regions: readonly Box[]): ort.Tensor[] {
  const size = BLAZEFACE_INPUT_SIZE;
  return withMats((scope) => {
    let source = rgbMat(scope, image);
    const copies = new Map<number, OpenCV.Mat>();
    const scaleOf = (region: Box): number => size / Math.max(region.w, region.h);
    for (const k of [...new Set(regions.map(scaleOf))].sort((a, b) => b - a)) {
      const copy = scope.track(new (cv().Mat)());
      const width = Math.max(1, Math.round(image.width * k));
      const height = Math.max(1, Math.round(image.height * k));
      cv().resize(source, copy, new (cv().Size)(width, height), 0, 0, cv().INTER_AREA);
      copies.set(k, copy);
      source = copy;
    }
    return regions.map((region) => {
      const k = scaleOf(region);
      const copy = copies.get(k)!;
      const x = Math.min(copy.cols - 1, Math.round(region.x * k));
      const y = Math.min(copy.rows - 1, Math.round(region.y * k));
      const w = Math.min(size, copy.cols - x, Math.max(1, Math.round(region.w * k)));
      const h = Math.min(size, copy.rows - y, Math.max(1, Math.round(region.h * k)));
      const crop = scope.track(copy.roi(new (cv().Rect)(x, y, w, h)));
      const square = scope.track(new (cv().Mat)());
      cv().copyMakeBorder(crop, square, 0, size - h, 0, size - w, cv().BORDER_CONSTANT, new (cv().Scalar)(0, 0, 0, 0));
      const floats = scope.track(new (cv().Mat)());
      square.convertTo(floats, cv().CV_32F, 1 / 127.5, -1);
      return new ort.Tensor('float32', new Float32Array(floats.data32F), [1, size, size, 3]);
    });
  });
}
