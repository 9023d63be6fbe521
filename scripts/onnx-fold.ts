/**
 * Exact fp32 simplifications of PP-OCRv4 det's graph (paddle2onnx writes PP-LCNetV3's "learnable
 * affine blocks" and hard-swish as chains of element-wise nodes). Each pass a chain fewer per block
 * leaves both the fp32 and the int8 model less element-wise work, and leaves the int8 convolutions
 * next to each other so ONNX Runtime can fuse them.
 */
import { intsAttribute, node, type Node, type OnnxGraph } from './onnx-graph.ts';

/** The scalar that `op` (Mul or Add) combines with `input`, if its other operand is one. */
function scalarOperand(graph: OnnxGraph, op: Node | undefined, kind: string, input: string): number | undefined {
  if (op?.opType !== kind || op.input.length !== 2) return undefined;
  const other = op.input[0] === input ? op.input[1]! : op.input[0]!;
  return op.input.includes(input) ? graph.scalar(other) : undefined;
}

/** A Mul-by-scalar then Add-scalar chain starting at `input` (either may be missing). */
function affineChain(graph: OnnxGraph, input: string): { scale: number; shift: number; nodes: Node[]; output: string } {
  let output = input;
  const operands = { Mul: 1, Add: 0 };
  const nodes: Node[] = [];
  for (const kind of ['Mul', 'Add'] as const) {
    const op = graph.soleConsumer(output);
    const value = scalarOperand(graph, op, kind, output);
    if (value === undefined) continue;
    operands[kind] = value;
    nodes.push(op!);
    output = op!.output[0]!;
  }
  return { scale: operands.Mul, shift: operands.Add, nodes, output };
}

/** The Conv's weight and bias (a zero bias is added when it has none), both owned by this Conv alone. */
function ownParameters(graph: OnnxGraph, conv: Node): { weight: Float32Array; bias: Float32Array; outChannels: number } | undefined {
  const [, w, b] = conv.input;
  if (!w || !graph.hasInitializer(w) || graph.consumers(w).length !== 1) return undefined;
  if (b && (!graph.hasInitializer(b) || graph.consumers(b).length !== 1)) return undefined;
  const outChannels = graph.dims(w)[0]!;
  return { weight: graph.floats(w), bias: b ? graph.floats(b) : new Float32Array(outChannels), outChannels };
}

function storeParameters(graph: OnnxGraph, conv: Node, weight: Float32Array, bias: Float32Array): void {
  const w = conv.input[1]!;
  graph.setInitializer(w, 1, graph.dims(w), weight);
  const b = conv.input[2] ?? `${w}_bias`;
  graph.setInitializer(b, 1, [bias.length], bias);
  conv.input = [conv.input[0]!, w, b];
}

/** Conv → ×a → +c becomes one Conv with weights a·w and bias a·b + c. Returns how many were folded. */
export function foldAffineAfterConv(graph: OnnxGraph): number {
  let folded = 0;
  for (const conv of graph.nodes.filter((n) => n.opType === 'Conv')) {
    const chain = affineChain(graph, conv.output[0]!);
    const params = ownParameters(graph, conv);
    if (chain.nodes.length === 0 || !params) continue;
    const weight = params.weight.map((v) => v * chain.scale);
    const bias = params.bias.map((v) => v * chain.scale + chain.shift);
    storeParameters(graph, conv, weight, bias);
    conv.output = [chain.output];
    graph.remove(chain.nodes);
    folded++;
  }
  return folded;
}

/**
 * ×a → +c read only by a 1×1 Conv without padding becomes part of that Conv: weights a·w, bias
 * b + c·Σw over the input channels of each output. (Exact only without padding: a padded border
 * would see 0 where the chain gave c, so 3×3 convolutions keep their chain.)
 */
export function foldAffineBeforePointwiseConv(graph: OnnxGraph): number {
  let folded = 0;
  for (const first of [...graph.nodes]) {
    if (first.opType !== 'Mul' && first.opType !== 'Add') continue;
    const input = first.input.find((i) => !graph.hasInitializer(i));
    if (!input || graph.producer(input) === undefined || graph.nodes.indexOf(first) < 0) continue;
    const chain = affineChain(graph, input);
    if (chain.nodes[0] !== first) continue;
    const conv = graph.soleConsumer(chain.output);
    if (conv?.opType !== 'Conv' || conv.input[0] !== chain.output) continue;
    const kernel = intsAttribute(conv, 'kernel_shape', []);
    if (kernel.some((k) => k !== 1) || intsAttribute(conv, 'pads', [0, 0, 0, 0]).some((p) => p !== 0)) continue;
    const params = ownParameters(graph, conv);
    if (!params) continue;
    const perOutput = params.weight.length / params.outChannels;
    const weight = params.weight.map((v) => v * chain.scale);
    const bias = params.bias.map((b, o) => b + chain.shift * params.weight.subarray(o * perOutput, (o + 1) * perOutput).reduce((s, v) => s + v, 0));
    storeParameters(graph, conv, weight, bias);
    conv.input[0] = input;
    graph.remove(chain.nodes);
    folded++;
  }
  return folded;
}

/** x · clip(x + 3, 0, 6) / 6 (paddle2onnx's hard-swish) becomes one HardSwish node (opset 14). */
export function fuseHardSwish(graph: OnnxGraph): number {
  let fused = 0;
  for (const add of graph.nodes.filter((n) => n.opType === 'Add')) {
    const x = add.input.find((i) => !graph.hasInitializer(i));
    if (!x || scalarOperand(graph, add, 'Add', x) !== 3) continue;
    const clip = graph.soleConsumer(add.output[0]!);
    if (clip?.opType !== 'Clip' || graph.scalar(clip.input[1] ?? '') !== 0 || graph.scalar(clip.input[2] ?? '') !== 6) continue;
    const mul = graph.soleConsumer(clip.output[0]!);
    if (mul?.opType !== 'Mul' || !mul.input.includes(x)) continue;
    const div = graph.soleConsumer(mul.output[0]!);
    if (div?.opType !== 'Div' || div.input[0] !== mul.output[0] || graph.scalar(div.input[1]!) !== 6) continue;
    const at = graph.nodes.indexOf(add);
    graph.remove([add, clip, mul, div]);
    graph.nodes.splice(at, 0, node('HardSwish', [x], [div.output[0]!]));
    fused++;
  }
  return fused;
}
