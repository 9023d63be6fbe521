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
import { BLAZEFACE_INPUT_SIZE, decodeBlazeFace, type KeyPoints, type LandmarkedBox, suppressOverlaps } from './blazeface-decoder.ts';

/** A face the network found, working px, with the network's score in [0,1] and its six key points. */
export type NetworkFace = LandmarkedBox;

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
  /**
   * A corner tile is looked at only when the whole-image pass scores something inside it at least
   * this much (but under minScore): a face too small for the whole pass still stirs it. Default
   * 0.15. On the dev photos the faces only the tiles find score 0.20-0.45 in the whole pass (one of
   * 17 px, under the scored size, 0.00); at 0.15, with one tile per proposal (the one it lies
   * deepest in), the tiles run 1.7 times per dev photo instead of 4. 0 = every tile always.
   */
  tileProposalScore: number;
}

const DEFAULT_FACE_NETWORK_OPTIONS: FaceNetworkOptions = { minScore: 0.5, tileShare: 0.6, tileProposalScore: 0.15 };

/** MediaPipe BlazeFace full range, see models/README.md. Input 1×256×256×3 (NHWC), RGB in [-1,1]. */
export const FACE_NETWORK_FILE = fileURLToPath(new URL('../../models/face_detection_back_256x256_barracuda.onnx', import.meta.url));
const OUTPUTS = { scores16: 'Identity:0', scores8: 'Identity_1:0', boxes16: 'Identity_2:0', boxes8: 'Identity_3:0' } as const;

const network = new NetworkSession(FACE_NETWORK_FILE, 'face network');

/**
 * Faces found by the network on the whole image and on those of its four corner tiles where a small
 * face is plausible (see tileProposalScore), one box per face, best first, in working px. OpenCV
 * must be loaded (it letterboxes the network's inputs).
 */
export async function findNetworkFaces(image: RgbImage, options: Partial<FaceNetworkOptions> = {}): Promise<NetworkFace[]> {
  const opts = { ...DEFAULT_FACE_NETWORK_OPTIONS, ...options };
  if (!(opts.tileShare === 0 || (opts.tileShare > 0 && opts.tileShare < 1))) {
    throw new ArtmetaError('INVALID_ARGUMENT', 'faceNetwork.tileShare must be 0 or between 0 and 1');
  }
  if (!(opts.tileProposalScore >= 0 && opts.tileProposalScore <= opts.minScore)) {
    throw new ArtmetaError('INVALID_ARGUMENT', 'faceNetwork.tileProposalScore must be between 0 and minScore');
  }
  if (image.width === 0 || image.height === 0) return [];
  // Loaded once per process (or worker thread), see NetworkSession.
  const inputName = (await network.load()).inputNames[0]!;
  const whole = { x: 0, y: 0, w: image.width, h: image.height };
  const first = await runRegions(inputName, image, [whole], Math.min(opts.minScore, opts.tileProposalScore));
  const found = first.filter((f) => f.score >= opts.minScore);
  const proposals = first.filter((f) => f.score < opts.minScore);
  const corners = cornerTiles(image, opts.tileShare);
  const tiles = opts.tileProposalScore === 0 ? corners : corners.filter((tile) => proposals.some((p) => deepestTile(p, corners) === tile));
  if (tiles.length > 0) found.push(...(await runRegions(inputName, image, tiles, opts.minScore)));
  return suppressOverlaps(found);
}

async function runRegions(inputName: string, image: RgbImage, regions: readonly Box[], minScore: number): Promise<NetworkFace[]> {
  const inputs = networkInputs(image, regions);
  const found: NetworkFace[] = [];
  for (const [i, region] of regions.entries()) {
    const result = await network.run({ [inputName]: inputs[i]! });
    const read = (name: string): Float32Array => result[name]!.data as Float32Array;
    const boxes = decodeBlazeFace(
      { scores16: read(OUTPUTS.scores16), boxes16: read(OUTPUTS.boxes16), scores8: read(OUTPUTS.scores8), boxes8: read(OUTPUTS.boxes8) },
      minScore,
    );
    const side = Math.max(region.w, region.h);
    const px = (v: number, origin: number): number => origin + v * side;
    found.push(
      ...boxes.map((b) => ({
        x: px(b.x, region.x),
        y: px(b.y, region.y),
        w: b.w * side,
        h: b.h * side,
        score: b.score,
        keyPoints: Object.fromEntries(
          Object.entries(b.keyPoints).map(([name, p]) => [name, { x: px(p.x, region.x), y: px(p.y, region.y) }]),
        ) as KeyPoints,
      })),
    );
  }
  return found;
}

/** The network's input for the whole image, as findNetworkFaces builds it. OpenCV must be loaded. */
export function faceNetworkInput(image: RgbImage): ort.Tensor {
  return networkInputs(image, [{ x: 0, y: 0, w: image.width, h: image.height }])[0]!;
}

/**
 * The tile a proposal lies deepest in (the largest margin from its box to the tile's edges), or none
 * when it lies whole in none. The corner tiles overlap by a fifth of the image, so a proposal near
 * the middle lies in two or four of them; one that holds it with margin finds the face as well, and
 * the others cost a network run each: tile runs per dev photo 1.97 -> 1.72, no face figure moved.
 */
function deepestTile(box: Box, tiles: readonly Box[]): Box | undefined {
  let best: Box | undefined;
  let bestMargin = 0;
  for (const tile of tiles) {
    const margin = Math.min(box.x - tile.x, box.y - tile.y, tile.x + tile.w - (box.x + box.w), tile.y + tile.h - (box.y + box.h));
    if (margin >= bestMargin) {
      best = tile;
      bestMargin = margin;
    }
  }
  return best;
}

/** The four corner tiles (none when untiled), integer working px. */
function cornerTiles(image: RgbImage, tileShare: number): Box[] {
  if (tileShare === 0) return [];
  const w = Math.max(1, Math.round(image.width * tileShare));
  const h = Math.max(1, Math.round(image.height * tileShare));
  const corners = [
    [0, 0],
    [image.width - w, 0],
    [0, image.height - h],
    [image.width - w, image.height - h],
  ] as const;
  return corners.map(([x, y]) => ({ x, y, w, h }));
}

/**
 * Each region scaled so its long side is the network's input side and filled to a square at the
 * right and bottom (so a box's unit coordinates times the long side are region px): copyMakeBorder on
 * an ROI fills from the image beyond the region (OpenCV does so unless BORDER_ISOLATED), and with
 * black only past the image's edge — a corner tile's network thus sees the context past its inner
 * edges; the analysis's outputs depend on that, so it stays. As
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
