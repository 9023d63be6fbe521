/**
 * Rewrites of the fp32 nodes left around an int8 PP-OCRv4 det graph into forms ONNX Runtime's CPU
 * kernels run faster, each computing the same values (the same map to float rounding, or bit for
 * bit where noted). Applied after quantisation (scripts/network-quantization.ts), so the calibration
 * and every int8 node stay as they were.
 */
import { DataType, floatAttribute, intAttribute, intsAttribute, node, type Node, onnx, type OnnxGraph } from './onnx-graph.ts';

/** The transposed convolutions DB's head upsamples with: 2×2 kernels at stride 2, so no two taps overlap. */
function isPixelShuffleTransposedConv(graph: OnnxGraph, n: Node | undefined): n is Node {
  return (
    n?.opType === 'ConvTranspose' &&
    graph.hasInitializer(n.input[1] ?? '') &&
    intAttribute(n, 'group', 1) === 1 &&
    intsAttribute(n, 'kernel_shape', []).join() === '2,2' &&
    intsAttribute(n, 'strides', []).join() === '2,2' &&
    intsAttribute(n, 'pads', [0, 0, 0, 0]).every((p) => p === 0) &&
    intsAttribute(n, 'output_padding', [0, 0]).every((p) => p === 0) &&
    intsAttribute(n, 'dilations', [1, 1]).every((d) => d === 1) &&
    n.input.length === 2
  );
}

/** A per-channel bias Add after `input` ([C,1,1] or [C] initialiser), if its sole consumer is one. */
function biasAfter(graph: OnnxGraph, input: string): { node: Node; bias: Float32Array } | undefined {
  const add = graph.soleConsumer(input);
  const other = add?.opType === 'Add' ? add.input.find((i) => i !== input) : undefined;
  return other && graph.hasInitializer(other) ? { node: add!, bias: graph.floats(other) } : undefined;
}

/**
 * DB's head after its 3×3 convolution: ConvTranspose 2×2/2 (+ bias, BatchNorm, ReLU), ConvTranspose
 * 2×2/2 (+ bias), Sigmoid — the two upsamplings that make the map as large as the input. A 2×2
 * stride-2 transposed convolution writes each input pixel's 2×2 output block from that pixel alone,
 * so it is a 1×1 convolution to 4× the channels followed by DepthToSpace; and the second one, which
 * reads each of those sub-pixels alone, is a 1×1 convolution at the same (1/4) resolution over the
 * first one's channels. Both become 1×1 convolutions at 1/4 of the input (bias and BatchNorm folded,
 * ReLU and Sigmoid fused by ONNX Runtime) and one DepthToSpace by 4 writes the map: ONNX Runtime's
 * ConvTranspose and the element-wise passes at 1/2 and full resolution were ~13% of the network.
 * Returns whether the head was found and rewritten.
 */
export function headAsPointwiseConvs(graph: OnnxGraph): boolean {
  const first = graph.nodes.find((n) => isPixelShuffleTransposedConv(graph, n));
  if (!first) return false;
  const firstBias = biasAfter(graph, first.output[0]!);
  const bnNode = graph.soleConsumer((firstBias?.node ?? first).output[0]!);
  const bn = bnNode?.opType === 'BatchNormalization' ? bnNode : undefined;
  const relu = graph.soleConsumer((bn ?? firstBias?.node ?? first).output[0]!);
  if (relu?.opType !== 'Relu') return false;
  const second = graph.soleConsumer(relu.output[0]!);
  if (!isPixelShuffleTransposedConv(graph, second)) return false;
  const secondBias = biasAfter(graph, second.output[0]!);
  const sigmoid = graph.soleConsumer((secondBias?.node ?? second).output[0]!);
  if (sigmoid?.opType !== 'Sigmoid') return false;

  const [inA, outA] = graph.dims(first.input[1]!) as [number, number];
  const [inB, outB] = graph.dims(second.input[1]!) as [number, number];
  if (inB !== outA) return false;
  const wA = graph.floats(first.input[1]!);
  const wB = graph.floats(second.input[1]!);
  const biasA = firstBias?.bias ?? new Float32Array(outA);
  const biasB = secondBias?.bias ?? new Float32Array(outB);
  const [gamma, beta, mean, variance] = bn ? bn.input.slice(1, 5).map((i) => graph.floats(i)) : [];
  const epsilon = bn ? floatAttribute(bn, 'epsilon', 1e-5) : 0;

  // First: output channel c·4 + (2i + j) is the first transposed conv's channel c at sub-pixel (i, j).
  const weightA = new Float32Array(outA * 4 * inA);
  const shiftA = new Float32Array(outA * 4);
  for (let c = 0; c < outA; c++) {
    const scale = bn ? gamma![c]! / Math.sqrt(variance![c]! + epsilon) : 1;
    for (let k = 0; k < 4; k++) {
      for (let ci = 0; ci < inA; ci++) weightA[(c * 4 + k) * inA + ci] = wA[(ci * outA + c) * 4 + k]! * scale;
      shiftA[c * 4 + k] = bn ? (biasA[c]! - mean![c]!) * scale + beta![c]! : biasA[c]!;
    }
  }
  // Second: output channel o·16 + (2i + i2)·4 + (2j + j2) is output o at sub-pixel (i2, j2) of the
  // first's sub-pixel (i, j) — DepthToSpace's CRD order for a block of 4 — read from channels c·4 + 2i + j.
  const weightB = new Float32Array(outB * 16 * inB * 4);
  const shiftB = new Float32Array(outB * 16);
  for (let o = 0; o < outB; o++) {
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++)
        for (let i2 = 0; i2 < 2; i2++)
          for (let j2 = 0; j2 < 2; j2++) {
            const out = o * 16 + (2 * i + i2) * 4 + (2 * j + j2);
            shiftB[out] = biasB[o]!;
            for (let c = 0; c < inB; c++) weightB[out * inB * 4 + c * 4 + 2 * i + j] = wB[((c * outB + o) * 2 + i2) * 2 + j2]!;
          }
  }
  const name = first.name ?? 'head';
  graph.setInitializer(`${name}_pointwise_w`, DataType.FLOAT, [outA * 4, inA, 1, 1], weightA);
  graph.setInitializer(`${name}_pointwise_b`, DataType.FLOAT, [outA * 4], shiftA);
  graph.setInitializer(`${name}_subpixel_w`, DataType.FLOAT, [outB * 16, inB * 4, 1, 1], weightB);
  graph.setInitializer(`${name}_subpixel_b`, DataType.FLOAT, [outB * 16], shiftB);
  const at = graph.nodes.indexOf(first);
  graph.remove([first, firstBias?.node, bn, relu, second, secondBias?.node, sigmoid].filter((n): n is Node => n !== undefined));
  const depthToSpace = node('DepthToSpace', [`${name}_subpixel_p`], [sigmoid.output[0]!], { blocksize: 4 });
  depthToSpace.attribute.push(onnx.AttributeProto.create({ name: 'mode', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('CRD') }));
  graph.nodes.splice(
    at,
    0,
    node('Conv', [first.input[0]!, `${name}_pointwise_w`, `${name}_pointwise_b`], [`${name}_pointwise`]),
    node('Relu', [`${name}_pointwise`], [`${name}_pointwise_r`]),
    node('Conv', [`${name}_pointwise_r`, `${name}_subpixel_w`, `${name}_subpixel_b`], [`${name}_subpixel`]),
    node('Sigmoid', [`${name}_subpixel`], [`${name}_subpixel_p`]),
    depthToSpace,
  );
  graph.pruneInitializers();
  return true;
}

/**
 * A scalar Mul (and Add) on an fp32 convolution's (or its HardSwish's) output that could not be folded
 * (PP-LCNetV3's learnable affine before a padded depthwise convolution, which would see the shift at
 * its border) becomes a depthwise 1×1 Conv computing the same x·a + c: ONNX Runtime runs it in its
 * blocked NCHWc layout next to the convolutions, where a Mul and Add by scalars each cost a pass and a
 * reorder out of and back into that layout (~10% of the network at 1/2 resolution; network alone
 * 0.92× after it). The map came out bit for bit the same on 30 photos. Returns how many were rewritten.
 */
export function affineAsDepthwiseConv(graph: OnnxGraph): number {
  let rewritten = 0;
  for (const mul of [...graph.nodes]) {
    if (mul.opType !== 'Mul' || mul.input.length !== 2) continue;
    const x = mul.input.find((i) => !graph.hasInitializer(i));
    const scale = graph.scalar(mul.input.find((i) => i !== x) ?? '');
    if (!x || scale === undefined) continue;
    const before = graph.producer(x);
    const conv = before?.opType === 'HardSwish' ? graph.producer(before.input[0]!) : before;
    // Only fp32 convolutions (weights an initialiser, not a DequantizeLinear output).
    if (conv?.opType !== 'Conv' || !graph.hasInitializer(conv.input[1]!)) continue;
    const add = graph.soleConsumer(mul.output[0]!);
    const shiftName = add?.opType === 'Add' ? add.input.find((i) => i !== mul.output[0]) : undefined;
    const shift = shiftName === undefined ? undefined : graph.scalar(shiftName);
    const channels = graph.dims(conv.input[1]!)[0]!;
    const last = shift === undefined ? mul : add!;
    const name = mul.name ?? mul.output[0]!;
    graph.setInitializer(`${name}_depthwise_w`, DataType.FLOAT, [channels, 1, 1, 1], new Float32Array(channels).fill(scale));
    graph.setInitializer(`${name}_depthwise_b`, DataType.FLOAT, [channels], new Float32Array(channels).fill(shift ?? 0));
    const at = graph.nodes.indexOf(mul);
    graph.remove(last === mul ? [mul] : [mul, last]);
    graph.nodes.splice(at, 0, node('Conv', [x, `${name}_depthwise_w`, `${name}_depthwise_b`], [last.output[0]!], { group: channels }));
    rewritten++;
  }
  graph.pruneInitializers();
  return rewritten;
}

/** The graph's image input, as the caller now feeds it: the resized image's bytes, RGB, height × width × 3. */
const BYTES_INPUT = 'image';

/**
 * The network reads the resized image's bytes (uint8, 1 × height × width × 3, RGB) and normalises
 * them itself: channels reversed to PaddleOCR's BGR, NCHW, (v / 255 − mean) / std per channel
 * computed in double and rounded once to float — bit for bit the float input the caller used to
 * build in JavaScript (a loop over every pixel, and a 4-byte-per-value copy into ONNX Runtime).
 */
export function bytesInput(graph: OnnxGraph, meanBgr: readonly number[], stdBgr: readonly number[]): void {
  const x = graph.inputNames[0]!;
  graph.setInitializer('image_scale', DataType.DOUBLE, [1, 3, 1, 1], Float64Array.from(stdBgr, (s) => 1 / (255 * s)));
  graph.setInitializer('image_shift', DataType.DOUBLE, [1, 3, 1, 1], Float64Array.from(meanBgr, (m, i) => m / stdBgr[i]!));
  // Slice with step −1 over the channel axis: from the last channel to before the first.
  graph.setInitializer('image_reverse_starts', DataType.INT64, [1], BigInt64Array.of(-1n));
  graph.setInitializer('image_reverse_ends', DataType.INT64, [1], BigInt64Array.of(-(2n ** 62n)));
  graph.setInitializer('image_reverse_axes', DataType.INT64, [1], BigInt64Array.of(1n));
  graph.setInitializer('image_reverse_steps', DataType.INT64, [1], BigInt64Array.of(-1n));
  const toPlanes = node('Transpose', [BYTES_INPUT], ['image_planes']);
  toPlanes.attribute.push(onnx.AttributeProto.create({ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 3, 1, 2] }));
  graph.nodes.splice(
    0,
    0,
    toPlanes,
    node('Slice', ['image_planes', 'image_reverse_starts', 'image_reverse_ends', 'image_reverse_axes', 'image_reverse_steps'], ['image_bgr']),
    node('Cast', ['image_bgr'], ['image_wide'], { to: DataType.DOUBLE }),
    node('Mul', ['image_wide', 'image_scale'], ['image_scaled']),
    node('Sub', ['image_scaled', 'image_shift'], ['image_normalised']),
    node('Cast', ['image_normalised'], [x], { to: DataType.FLOAT }),
  );
  const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  graph.graph.input = [
    onnx.ValueInfoProto.create({ name: BYTES_INPUT, type: { tensorType: { elemType: DataType.UINT8, shape: { dim: [1, 'height', 'width', 3].map(dim) } } } }),
    ...graph.graph.input.slice(1),
  ];
}

/** The value of a one-element initialiser of `dataType` (float or 8-bit), or undefined for anything else. */
function scalarValue(graph: OnnxGraph, name: string | undefined, dataType: number): number | undefined {
  if (name === undefined || !graph.hasInitializer(name) || graph.dataType(name) !== dataType) return undefined;
  const values = graph.numbers(name);
  return values.length === 1 ? values[0] : undefined;
}

function permutation(input: string, output: string, perm: number[]): Node {
  const transpose = node('Transpose', [input], [output]);
  transpose.attribute.push(onnx.AttributeProto.create({ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: perm }));
  return transpose;
}

/** The integer factor of a nearest Resize that computes out[y][x] = in[⌊y / f⌋][⌊x / f⌋] exactly, or undefined. */
function nearestUpsampleFactor(graph: OnnxGraph, resize: Node): number | undefined {
  const text = (name: string) => {
    const a = resize.attribute.find((attr) => attr.name === name);
    return a?.s ? new TextDecoder().decode(a.s) : undefined;
  };
  if (text('mode') !== 'nearest' || text('coordinate_transformation_mode') !== 'asymmetric' || text('nearest_mode') !== 'floor') return undefined;
  if (resize.input.length > 3 && resize.input[3] !== '') return undefined;
  const scales = graph.hasInitializer(resize.input[2] ?? '') ? graph.floats(resize.input[2]!) : undefined;
  const factor = scales?.[2];
  // A power of two: the output coordinate divided by it is exact in float, so ⌊y / f⌋ is too.
  if (scales?.length !== 4 || scales[0] !== 1 || scales[1] !== 1 || factor !== scales[3] || !(factor! >= 2) || Math.log2(factor!) % 1 !== 0) return undefined;
  return factor;
}

/**
 * A nearest Resize by a power of two on a uint8 map — between a DequantizeLinear and a QuantizeLinear
 * with the same scale and zero point, as the recipe leaves the neck's upsamplings — becomes a copy of
 * the bytes: each pixel's channels repeated f × f times (Transpose to NHWC, Unsqueeze, Expand,
 * Reshape, Transpose back), the same bytes bit for bit. Written in NHWC because ONNX Runtime runs
 * the int8 neck in NHWC (its layout transformer puts QLinearConv there and pushes the transposes
 * through the element-wise nodes): the two Transposes here cancel against its own, and the Expand
 * copies each pixel's channels as one block. Its Resize on NHWC uint8 has no fast path (~8% of the
 * network); an Expand written in NCHW repeats single bytes (network 1.36× slower, measured).
 * Returns how many were rewritten.
 */
export function nearestUpsampleAsExpand(graph: OnnxGraph): number {
  let rewritten = 0;
  for (const resize of graph.nodes.filter((n) => n.opType === 'Resize')) {
    const factor = nearestUpsampleFactor(graph, resize);
    const dequantize = graph.producer(resize.input[0]!);
    const quantize = graph.soleConsumer(resize.output[0]!);
    if (factor === undefined || dequantize?.opType !== 'DequantizeLinear' || quantize?.opType !== 'QuantizeLinear') continue;
    const [bytes, scale, zeroPoint] = dequantize.input;
    const same = (a: string | undefined, b: string | undefined, dataType: number) => scalarValue(graph, a, dataType) !== undefined && scalarValue(graph, a, dataType) === scalarValue(graph, b, dataType);
    if (!same(scale, quantize.input[1], DataType.FLOAT) || !same(zeroPoint, quantize.input[2], DataType.UINT8)) continue;
    const name = resize.name ?? resize.output[0]!;
    const f = BigInt(factor);
    graph.setInitializer(`${name}_axes`, DataType.INT64, [2], BigInt64Array.of(2n, 4n));
    graph.setInitializer(`${name}_repeats`, DataType.INT64, [6], BigInt64Array.of(1n, 1n, f, 1n, f, 1n));
    graph.setInitializer(`${name}_growth`, DataType.INT64, [4], BigInt64Array.of(1n, f, f, 1n));
    const at = graph.nodes.indexOf(resize);
    graph.remove([resize, quantize]);
    graph.nodes.splice(
      at,
      0,
      permutation(bytes!, `${name}_nhwc`, [0, 2, 3, 1]),
      node('Unsqueeze', [`${name}_nhwc`, `${name}_axes`], [`${name}_blocks`]),
      node('Expand', [`${name}_blocks`, `${name}_repeats`], [`${name}_repeated`]),
      node('Shape', [`${name}_nhwc`], [`${name}_shape`]),
      node('Mul', [`${name}_shape`, `${name}_growth`], [`${name}_size`]),
      node('Reshape', [`${name}_repeated`, `${name}_size`], [`${name}_upsampled`]),
      permutation(`${name}_upsampled`, quantize.output[0]!, [0, 3, 1, 2]),
    );
    if (graph.consumers(dequantize.output[0]!).length === 0) graph.remove([dequantize]);
    rewritten++;
  }
  graph.pruneInitializers();
  return rewritten;
}
