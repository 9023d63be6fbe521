/**
 * Static int8 quantisation in ONNX's QDQ form, laid out as ONNX Runtime's own quantize_static writes it
 * so that its graph optimiser fuses each DequantizeLinear → Conv → QuantizeLinear group into one
 * QLinearConv (MLAS u8s8 kernels, VNNI where the CPU has it):
 * - activations: uint8, asymmetric, range from calibration (always including 0, so that zero padding
 *   is exact); one QuantizeLinear/DequantizeLinear pair per tensor, read by every consumer;
 * - Conv weights: int8, symmetric (zero point 0), one scale per output channel, range ±127;
 * - Conv bias: int32 with scale input-scale × weight-scale per channel, zero point 0.
 */
import { DataType, node, type Node, type OnnxGraph } from './onnx-graph.ts';

export interface TensorRange {
  min: number;
  max: number;
}

const UINT8_MAX = 255;
const INT8_SYMMETRIC_MAX = 127;

/** uint8 scale and zero point for a calibrated range. */
export function activationQuantization(range: TensorRange): { scale: number; zeroPoint: number } {
  const min = Math.min(range.min, 0);
  const max = Math.max(range.max, 0);
  const scale = max > min ? (max - min) / UINT8_MAX : 1;
  return { scale, zeroPoint: Math.min(UINT8_MAX, Math.max(0, Math.round(-min / scale))) };
}

/** int8 weights with one symmetric scale per output channel (axis 0). */
export function quantizeWeightsPerChannel(weight: Float32Array, outChannels: number): { values: Int8Array; scales: Float32Array } {
  const perChannel = weight.length / outChannels;
  const values = new Int8Array(weight.length);
  const scales = new Float32Array(outChannels);
  for (let c = 0; c < outChannels; c++) {
    const slice = weight.subarray(c * perChannel, (c + 1) * perChannel);
    const peak = slice.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const scale = peak > 0 ? peak / INT8_SYMMETRIC_MAX : 1;
    scales[c] = scale;
    slice.forEach((v, i) => (values[c * perChannel + i] = Math.max(-INT8_SYMMETRIC_MAX, Math.min(INT8_SYMMETRIC_MAX, Math.round(v / scale)))));
  }
  return { values, scales };
}

/** The activation's scale as stored (float32), which the bias scale must be derived from. */
function storedScale(scale: number): number {
  return Math.fround(scale);
}

/**
 * Rewrites `convs` (Conv nodes of `graph`) to QDQ form with the calibrated `ranges` of their input and
 * output tensors, and puts a QuantizeLinear/DequantizeLinear pair on each of `alsoQuantized` too (the
 * inputs and outputs of element-wise nodes between them, which ONNX Runtime then runs on uint8).
 * The graph's default opset must be ≥ 13 (per-axis DequantizeLinear).
 */
export function quantizeConvs(graph: OnnxGraph, convs: Node[], ranges: ReadonlyMap<string, TensorRange>, alsoQuantized: readonly string[] = []): void {
  const activations = new Set([...convs.flatMap((c) => [c.input[0]!, c.output[0]!]), ...alsoQuantized]);
  const scales = new Map<string, number>();
  for (const name of activations) {
    const range = ranges.get(name);
    if (!range) throw new Error(`no calibrated range for ${name}`);
    const { scale, zeroPoint } = activationQuantization(range);
    scales.set(name, storedScale(scale));
    graph.setInitializer(`${name}_scale`, DataType.FLOAT, [], Float32Array.of(scale));
    graph.setInitializer(`${name}_zero_point`, DataType.UINT8, [], Uint8Array.of(zeroPoint));
  }
  const parameterNodes: Node[] = [];
  for (const conv of convs) {
    const [x, w, b] = conv.input;
    const dims = graph.dims(w!);
    const { values, scales: weightScales } = quantizeWeightsPerChannel(graph.floats(w!), dims[0]!);
    graph.setInitializer(`${w}_quantized`, DataType.INT8, dims, values);
    graph.setInitializer(`${w}_scale`, DataType.FLOAT, [dims[0]!], weightScales);
    graph.setInitializer(`${w}_zero_point`, DataType.INT8, [dims[0]!], new Int8Array(dims[0]!));
    parameterNodes.push(node('DequantizeLinear', [`${w}_quantized`, `${w}_scale`, `${w}_zero_point`], [`${w}_dequantized`], { axis: 0 }));
    conv.input[1] = `${w}_dequantized`;
    if (!b) continue;
    const inputScale = scales.get(x!)!;
    const biasScales = weightScales.map((s) => s * inputScale);
    const bias = graph.floats(b);
    graph.setInitializer(`${b}_quantized`, DataType.INT32, [bias.length], Int32Array.from(bias, (v, i) => Math.round(v / biasScales[i]!)));
    graph.setInitializer(`${b}_scale`, DataType.FLOAT, [bias.length], biasScales);
    graph.setInitializer(`${b}_zero_point`, DataType.INT32, [bias.length], new Int32Array(bias.length));
    parameterNodes.push(node('DequantizeLinear', [`${b}_quantized`, `${b}_scale`, `${b}_zero_point`], [`${b}_dequantized`], { axis: 0 }));
    conv.input[2] = `${b}_dequantized`;
  }
  const qdq = (name: string) => [
    node('QuantizeLinear', [name, `${name}_scale`, `${name}_zero_point`], [`${name}_quantized`]),
    node('DequantizeLinear', [`${name}_quantized`, `${name}_scale`, `${name}_zero_point`], [`${name}_dequantized`]),
  ];
  for (const name of activations) graph.rename(name, `${name}_dequantized`);
  const graphInputs = graph.inputNames.filter((n) => activations.has(n));
  const nodes: Node[] = [...parameterNodes, ...graphInputs.flatMap(qdq)];
  for (const n of graph.nodes) {
    nodes.push(n);
    for (const out of n.output) if (activations.has(out)) nodes.push(...qdq(out));
  }
  graph.nodes = nodes;
  graph.pruneInitializers();
}
