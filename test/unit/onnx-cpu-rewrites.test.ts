import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { MEAN_BGR, STD_BGR, textNetworkBytes, textNetworkInput } from '../../analysis/text/text-detector-network.ts';
import { affineAsDepthwiseConv, bytesInput, headAsPointwiseConvs, nearestUpsampleAsExpand } from '../../scripts/onnx-cpu-rewrites.ts';
import { DataType, node, onnx, OnnxGraph, writeModel } from '../../scripts/onnx-graph.ts';
import { mulberry32 } from '../../scripts/seeded-random.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'artmeta-rewrites-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const random = mulberry32(7);
const values = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);

/** A one-input, one-output float graph (opset 14) of `nodes` with float initialisers. */
function graphOf(nodes: ReturnType<typeof node>[], initialisers: Record<string, { dims: number[]; data: Float32Array }>, channels: number): OnnxGraph {
  const tensor = (name: string) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DataType.FLOAT } } });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'test',
      node: nodes,
      initializer: [],
      input: [onnx.ValueInfoProto.create({ name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: channels }, { dimParam: 'h' }, { dimParam: 'w' }] } } } })],
      output: [tensor('y')],
    },
  });
  const graph = new OnnxGraph(model);
  for (const [name, { dims, data }] of Object.entries(initialisers)) graph.setInitializer(name, DataType.FLOAT, dims, data);
  return graph;
}

async function run(graph: OnnxGraph, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const file = join(dir, `${Math.floor(random() * 1e9)}.onnx`);
  await writeModel(graph.model, file);
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  try {
    return (await session.run(feeds)).y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function copy(graph: OnnxGraph): OnnxGraph {
  return new OnnxGraph(onnx.ModelProto.decode(onnx.ModelProto.encode(graph.model).finish()));
}

const attribute = (name: string, ints: number[]) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });
const textAttribute = (name: string, text: string) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(text) });

/** x → uint8 → nearest Resize by `factor` (asymmetric, floor unless `coordinates` says otherwise) → uint8 → y, as the recipe leaves the neck's upsamplings. */
function quantizedUpsampling(factor: number, coordinates = 'asymmetric'): OnnxGraph {
  const resize = node('Resize', ['xd', 'roi', 'scales'], ['r']);
  resize.attribute.push(textAttribute('mode', 'nearest'), textAttribute('coordinate_transformation_mode', coordinates), textAttribute('nearest_mode', 'floor'));
  const graph = graphOf(
    [node('QuantizeLinear', ['x', 's', 'z'], ['xq']), node('DequantizeLinear', ['xq', 's', 'z'], ['xd']), resize, node('QuantizeLinear', ['r', 's2', 'z2'], ['rq']), node('DequantizeLinear', ['rq', 's2', 'z2'], ['y'])],
    { roi: { dims: [0], data: new Float32Array(0) }, scales: { dims: [4], data: Float32Array.of(1, 1, factor, factor) }, s: { dims: [], data: Float32Array.of(0.05) }, s2: { dims: [], data: Float32Array.of(0.05) } },
    3,
  );
  graph.setInitializer('z', DataType.UINT8, [], Uint8Array.of(17));
  graph.setInitializer('z2', DataType.UINT8, [], Uint8Array.of(17));
  return graph;
}

describe('rewrites of the int8 text network for ONNX Runtime (scripts/onnx-cpu-rewrites.ts)', () => {
  it("turns DB's head (two 2×2 stride-2 transposed convolutions) into 1×1 convolutions and DepthToSpace, same map", async () => {
    const transposed = (input: string, weight: string, output: string) => {
      const n = node('ConvTranspose', [input, weight], [output]);
      n.attribute.push(attribute('kernel_shape', [2, 2]), attribute('strides', [2, 2]));
      return n;
    };
    const graph = graphOf(
      [
        transposed('x', 'w1', 't1'),
        node('Add', ['t1', 'b1'], ['a1']),
        node('BatchNormalization', ['a1', 'gamma', 'beta', 'mean', 'variance'], ['n1'], {}, { epsilon: 1e-5 }),
        node('Relu', ['n1'], ['r1']),
        transposed('r1', 'w2', 't2'),
        node('Add', ['t2', 'b2'], ['a2']),
        node('Sigmoid', ['a2'], ['y']),
      ],
      {
        w1: { dims: [4, 3, 2, 2], data: values(48) },
        b1: { dims: [3, 1, 1], data: values(3) },
        gamma: { dims: [3], data: values(3) },
        beta: { dims: [3], data: values(3) },
        mean: { dims: [3], data: values(3, 0.1) },
        variance: { dims: [3], data: Float32Array.of(0.5, 1, 2) },
        w2: { dims: [3, 1, 2, 2], data: values(12) },
        b2: { dims: [1, 1, 1], data: values(1) },
      },
      4,
    );
    const x = new ort.Tensor('float32', values(4 * 5 * 6, 2), [1, 4, 5, 6]);
    const rewritten = copy(graph);
    expect(headAsPointwiseConvs(rewritten)).toBe(true);
    expect(rewritten.nodes.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'Conv', 'Sigmoid', 'DepthToSpace']);
    const before = await run(graph, { x });
    const after = await run(rewritten, { x });
    expect(after.length).toBe(20 * 24);
    after.forEach((v, i) => expect(v).toBeCloseTo(before[i]!, 6));
  });

  it('turns a scalar affine after an fp32 convolution into a depthwise 1×1 convolution, same values', async () => {
    const padded = node('Conv', ['s', 'wd'], ['y'], { group: 3 });
    padded.attribute.push(attribute('kernel_shape', [3, 3]), attribute('pads', [1, 1, 1, 1]));
    const graph = graphOf(
      [node('Conv', ['x', 'w', 'b'], ['c']), node('HardSwish', ['c'], ['h']), node('Mul', ['h', 'scale'], ['m']), node('Add', ['m', 'shift'], ['s']), padded],
      {
        w: { dims: [3, 2, 1, 1], data: values(6) },
        b: { dims: [3], data: values(3) },
        scale: { dims: [], data: Float32Array.of(1.37) },
        shift: { dims: [], data: Float32Array.of(-0.21) },
        wd: { dims: [3, 1, 3, 3], data: values(27) },
      },
      2,
    );
    const x = new ort.Tensor('float32', values(2 * 7 * 9, 4), [1, 2, 7, 9]);
    const rewritten = copy(graph);
    expect(affineAsDepthwiseConv(rewritten)).toBe(1);
    expect(rewritten.nodes.map((n) => n.opType)).toEqual(['Conv', 'HardSwish', 'Conv', 'Conv']);
    const before = await run(graph, { x });
    const after = await run(rewritten, { x });
    after.forEach((v, i) => expect(v).toBeCloseTo(before[i]!, 6));
  });

  it("reads the image's bytes and normalises them bit for bit as textNetworkInput does", async () => {
    await loadOpenCV();
    const graph = graphOf([node('Identity', ['x'], ['y'])], {}, 3);
    bytesInput(graph, MEAN_BGR, STD_BGR);
    // 64 × 32: already a multiple of the network's stride, so the resize keeps every byte.
    const image = { width: 64, height: 32, channels: 3 as const, data: Uint8Array.from({ length: 64 * 32 * 3 }, (_, i) => (i * 37 + (i >> 7)) % 256) };
    const bytes = textNetworkBytes(image, 64);
    expect(bytes.dims).toEqual([1, 32, 64, 3]);
    const fromGraph = await run(graph, { image: bytes });
    expect(fromGraph).toEqual(textNetworkInput(image, 64).data);
  });

  it('turns a nearest Resize by 2 or 4 on a uint8 map into an NHWC Expand of its bytes, the same bytes', async () => {
    for (const factor of [2, 4]) {
      const graph = quantizedUpsampling(factor);
      const x = new ort.Tensor('float32', values(3 * 5 * 7, 8), [1, 3, 5, 7]);
      const rewritten = copy(graph);
      expect(nearestUpsampleAsExpand(rewritten)).toBe(1);
      expect(rewritten.nodes.map((n) => n.opType)).toEqual(['QuantizeLinear', 'Transpose', 'Unsqueeze', 'Expand', 'Shape', 'Mul', 'Reshape', 'Transpose', 'DequantizeLinear']);
      const before = await run(graph, { x });
      const after = await run(rewritten, { x });
      expect(after.length).toBe(3 * 5 * 7 * factor * factor);
      expect(after).toEqual(before);
    }
  });

  it('leaves a nearest Resize alone where copying bytes would not give its values', () => {
    expect(nearestUpsampleAsExpand(quantizedUpsampling(2, 'half_pixel'))).toBe(0);
    expect(nearestUpsampleAsExpand(quantizedUpsampling(3))).toBe(0);
    const rescaled = quantizedUpsampling(2);
    rescaled.setInitializer('s2', DataType.FLOAT, [], Float32Array.of(0.06));
    expect(nearestUpsampleAsExpand(rescaled)).toBe(0);
  });
});
