/**
 * The int8 recipe artmeta applies to its ONNX networks (`npm run quantize:text`, `npm run quantize:face`;
 * models/README.md). Deterministic: the same source model, calibration images and ONNX Runtime give
 * the same file.
 *
 * 1. ONNX Runtime's basic graph optimisations (constant folding, BatchNorm into Conv), saved;
 * 2. exact fp32 rewrites (scripts/onnx-fold.ts): scalar affine chains into the convolutions,
 *    hard-swish chains into HardSwish nodes;
 * 3. calibration: the rewritten fp32 model, every convolution's input and output exposed, run on the
 *    network's calibration images (never the validation set) fed as its stage feeds it; the range of
 *    each tensor holds the central 99.99% of its values over those images (percentile calibration);
 * 4. QDQ int8 (scripts/onnx-qdq.ts) for every convolution from the first one reading a map at
 *    `minInt8Stride` of the input on; the squeeze-excite convolutions on 1×1 pooled maps stay fp32
 *    (nothing to gain); with `uint8ElementWise`, the element-wise nodes between the int8
 *    convolutions get QDQ pairs too, so ONNX Runtime runs them on uint8;
 * 5. with `rewrite`, exact rewrites of the fp32 nodes left (e.g. scripts/onnx-cpu-rewrites.ts), after
 *    calibration and quantisation, so they change neither.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadOpenCV } from '../analysis/opencv/runtime.ts';
import { foldAffineAfterConv, foldAffineBeforePointwiseConv, fuseHardSwish } from './onnx-fold.ts';
import { type Node, onnx, OnnxGraph, readModel, writeModel } from './onnx-graph.ts';
import { quantizeConvs, type TensorRange } from './onnx-qdq.ts';

/** Share of each activation's calibration values its int8 range must hold (the rest saturate). */
const KEPT_SHARE = 0.9999;
const HISTOGRAM_BINS = 2048;
/** HardSwish and per-axis DequantizeLinear need opset 14 and 13; nothing else in artmeta's graphs changed meaning since 11. */
const OPSET = 14;

export interface QuantizationRecipe {
  /** The fp32 source model. */
  source: string;
  /** Where the int8 model is written. */
  out: string;
  /** Calibration images (never ../shared/data), as files. */
  images: readonly string[];
  /** The network's input for one calibration image, as its stage builds it. OpenCV is loaded. */
  input(image: string): Promise<ort.Tensor>;
  /** The network input's width (NCHW or NHWC), against which the strides of its maps are measured. */
  inputWidth(input: ort.Tensor): number;
  /** Convolutions before the first one reading a map at this stride stay fp32 (see models/README.md). */
  minInt8Stride: number;
  /**
   * The convolutions that write the network's outputs (only layout ops after them) stay fp32: for
   * raw logits over mostly-background anchors (BlazeFace: down to thousands below 0) one uint8 step
   * spans tens of logits, so scores near the decision threshold cannot be told apart.
   */
  headInFp32?: boolean;
  /**
   * Element-wise node types to run on uint8 between the int8 convolutions (ONNX Runtime's CPU QDQ
   * rules: QLinearAdd, QLinearMul, QLinearConcat, QLinearGlobalAveragePool, Resize on bytes). Default:
   * none.
   */
  uint8ElementWise?: ReadonlySet<string>;
  /** Rewrites applied to the quantised graph before it is written (they must keep its values). */
  rewrite?(graph: OnnxGraph): void;
}

const LAYOUT_OPS = new Set(['Reshape', 'Concat', 'Transpose', 'Flatten']);

/** Whether `conv`'s output reaches a graph output through layout ops only. */
function writesOutput(graph: OnnxGraph, conv: Node): boolean {
  const pending = [conv.output[0]!];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (graph.isGraphOutput(name)) return true;
    pending.push(...graph.consumers(name).filter((n) => LAYOUT_OPS.has(n.opType)).flatMap((n) => n.output));
  }
  return false;
}

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
async function forEachActivation(graph: OnnxGraph, tensors: string[], recipe: QuantizationRecipe, work: string, visit: (name: string, values: Float32Array, dims: readonly number[], inputWidth: number) => void): Promise<void> {
  const probe = onnx.ModelProto.decode(onnx.ModelProto.encode(graph.model).finish());
  const input = graph.inputNames[0]!;
  const float = onnx.TensorProto.DataType.FLOAT;
  new OnnxGraph(probe).graph.output.push(...tensors.filter((t) => t !== input).map((name) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: float } } })));
  const file = join(work, 'probe.onnx');
  await writeModel(probe, file);
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  await loadOpenCV();
  try {
    for (const image of recipe.images) {
      const feed = await recipe.input(image);
      const outputs = { ...(await session.run({ [input]: feed })), [input]: feed };
      for (const name of tensors) visit(name, outputs[name]!.data as Float32Array, outputs[name]!.dims, recipe.inputWidth(feed));
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
async function calibrate(graph: OnnxGraph, tensors: string[], recipe: QuantizationRecipe, work: string): Promise<Map<string, Calibrated>> {
  const extremes = new Map(tensors.map((t) => [t, { min: Infinity, max: -Infinity, stride: 0, pooled: false }]));
  await forEachActivation(graph, tensors, recipe, work, (name, values, dims, inputWidth) => {
    const range = extremes.get(name)!;
    for (const v of values) {
      if (v < range.min) range.min = v;
      if (v > range.max) range.max = v;
    }
    range.stride = inputWidth / dims[3]!;
    range.pooled = dims[2] === 1 && dims[3] === 1;
  });
  const histograms = new Map(tensors.map((t) => [t, new Float64Array(HISTOGRAM_BINS)]));
  await forEachActivation(graph, tensors, recipe, work, (name, values) => {
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
 * The tensors to quantise so that the element-wise nodes of `types` between the int8 convolutions run
 * on uint8: a node qualifies when each of its inputs is already quantised, comes from a qualifying
 * node, or is a 1×1 pooled map (a squeeze-excite scale). Walks the graph in its (topological) order.
 */
function uint8ElementWiseTensors(graph: OnnxGraph, types: ReadonlySet<string>, quantizedConvs: Node[], ranges: ReadonlyMap<string, Calibrated>): string[] {
  const quantized = new Set(quantizedConvs.flatMap((c) => [c.input[0]!, c.output[0]!]));
  const added: string[] = [];
  for (const n of graph.nodes) {
    if (!types.has(n.opType!)) continue;
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

/** Calibrated tensors: every convolution's input and output, and those of the uint8 element-wise candidates (with the HardSigmoid scales that feed them). */
function calibratedTensors(graph: OnnxGraph, convs: Node[], types: ReadonlySet<string>): string[] {
  const elementWise = types.size === 0 ? [] : graph.nodes.filter((n) => types.has(n.opType!) || n.opType === 'HardSigmoid');
  const inputsOf = (n: Node) => n.input.slice(0, n.opType === 'Resize' ? 1 : undefined).filter((i) => !graph.hasInitializer(i));
  return [...new Set([...convs, ...elementWise].flatMap((n) => [...inputsOf(n), n.output[0]!]))];
}

/** Writes the int8 form of `recipe.source` to `recipe.out`; returns how many convolutions are int8 of how many, and how many more tensors are uint8. */
export async function quantizeNetwork(recipe: QuantizationRecipe): Promise<{ int8: number; convs: number; uint8Tensors: number }> {
  const work = await mkdtemp(join(tmpdir(), 'artmeta-quantize-'));
  const types = recipe.uint8ElementWise ?? new Set<string>();
  try {
    await optimizedByOnnxRuntime(recipe.source, join(work, 'basic.onnx'));
    const graph = await rewrittenFp32(join(work, 'basic.onnx'));
    const convs = graph.nodes.filter((n) => n.opType === 'Conv');
    const ranges = await calibrate(graph, calibratedTensors(graph, convs, types), recipe, work);
    tieResizeRanges(graph, ranges);
    const firstDeep = convs.findIndex((c) => ranges.get(c.input[0]!)!.stride >= recipe.minInt8Stride);
    const quantized = convs.slice(firstDeep).filter((c) => !ranges.get(c.input[0]!)!.pooled && !(recipe.headInFp32 && writesOutput(graph, c)));
    const alsoQuantized = uint8ElementWiseTensors(graph, types, quantized, ranges);
    quantizeConvs(graph, quantized, ranges, alsoQuantized);
    recipe.rewrite?.(graph);
    await writeModel(graph.model, recipe.out);
    return { int8: quantized.length, convs: convs.length, uint8Tensors: alsoQuantized.length };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
