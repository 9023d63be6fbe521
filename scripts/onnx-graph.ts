/**
 * A small editable view of an ONNX graph (decoded with onnx-proto) for the build-time rewrites of
 * scripts/network-quantization.ts: float initialisers as typed arrays, producers and consumers by
 * tensor name, nodes removed or rewired in place. Not used at run time.
 */
import { readFile, writeFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;
export type Model = InstanceType<typeof onnx.ModelProto>;
export type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;
type Graph = InstanceType<typeof onnx.GraphProto>;

export const DataType = onnx.TensorProto.DataType;

export async function readModel(file: string): Promise<Model> {
  return onnx.ModelProto.decode(await readFile(file));
}

export async function writeModel(model: Model, file: string): Promise<void> {
  await writeFile(file, onnx.ModelProto.encode(model).finish());
}

/** An attribute's integer list (`ints`), or `fallback` when the node does not set it. */
export function intsAttribute(node: Node, name: string, fallback: number[]): number[] {
  const attribute = node.attribute.find((a) => a.name === name);
  return attribute?.ints ? attribute.ints.map(Number) : fallback;
}

export function intAttribute(node: Node, name: string, fallback: number): number {
  const attribute = node.attribute.find((a) => a.name === name);
  return attribute ? Number(attribute.i) : fallback;
}

export function floatAttribute(node: Node, name: string, fallback: number): number {
  const attribute = node.attribute.find((a) => a.name === name);
  return attribute?.f ?? fallback;
}

export class OnnxGraph {
  private readonly initializers = new Map<string, Tensor>();

  constructor(readonly model: Model) {
    for (const t of this.graph.initializer as Tensor[]) this.initializers.set(t.name, t);
  }

  /** The decoded graph (onnx-proto types every field of a decoded message as optional). */
  get graph(): Graph {
    return this.model.graph as Graph;
  }

  get nodes(): Node[] {
    return this.graph.node as Node[];
  }

  /** Names of the graph's inputs. */
  get inputNames(): string[] {
    return this.graph.input.map((i) => i.name as string);
  }

  set nodes(nodes: Node[]) {
    this.graph.node = nodes;
  }

  isGraphOutput(name: string): boolean {
    return this.graph.output.some((o) => o.name === name);
  }

  consumers(name: string): Node[] {
    return this.nodes.filter((n) => n.input.includes(name));
  }

  producer(name: string): Node | undefined {
    return this.nodes.find((n) => n.output.includes(name));
  }

  /** The single node reading `name`, if exactly one does and it is not a graph output. */
  soleConsumer(name: string): Node | undefined {
    const consumers = this.consumers(name);
    return consumers.length === 1 && !this.isGraphOutput(name) ? consumers[0] : undefined;
  }

  hasInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  dims(name: string): number[] {
    return this.tensor(name).dims.map(Number);
  }

  /** A float initialiser's values (a copy). */
  floats(name: string): Float32Array {
    const t = this.tensor(name);
    if (t.dataType !== DataType.FLOAT) throw new Error(`initialiser ${name} is not float`);
    if (t.rawData && t.rawData.length > 0) {
      const copy = new Uint8Array(t.rawData);
      return new Float32Array(copy.buffer, 0, copy.length / 4);
    }
    return Float32Array.from(t.floatData);
  }

  /** An initialiser's element type (DataType). */
  dataType(name: string): number {
    return this.tensor(name).dataType ?? DataType.UNDEFINED;
  }

  /** A float, uint8 or int8 initialiser's values as numbers (a copy). */
  numbers(name: string): number[] {
    const t = this.tensor(name);
    if (t.dataType === DataType.FLOAT) return [...this.floats(name)];
    if (t.dataType !== DataType.UINT8 && t.dataType !== DataType.INT8) throw new Error(`initialiser ${name} is neither float nor 8-bit`);
    const raw = t.rawData && t.rawData.length > 0 ? new Uint8Array(t.rawData) : Uint8Array.from(t.int32Data);
    return t.dataType === DataType.INT8 ? [...new Int8Array(raw.buffer, raw.byteOffset, raw.length)] : [...raw];
  }

  /** A scalar (or one-element) float initialiser's value, or undefined for anything else. */
  scalar(name: string): number | undefined {
    if (!this.initializers.has(name)) return undefined;
    const t = this.tensor(name);
    if (t.dataType !== DataType.FLOAT) return undefined;
    const values = this.floats(name);
    return values.length === 1 ? values[0] : undefined;
  }

  /** Adds or replaces an initialiser. */
  setInitializer(name: string, dataType: number, dims: number[], values: Float32Array | Float64Array | Int32Array | BigInt64Array | Int8Array | Uint8Array): void {
    const tensor = onnx.TensorProto.create({ name, dataType, dims, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice() });
    const existing = this.initializers.get(name);
    const list = this.graph.initializer;
    if (existing) list[list.indexOf(existing)] = tensor;
    else list.push(tensor);
    this.initializers.set(name, tensor);
  }

  /** Drops initialisers no node reads any more. */
  pruneInitializers(): void {
    const used = new Set(this.nodes.flatMap((n) => n.input));
    this.graph.initializer = (this.graph.initializer as Tensor[]).filter((t) => used.has(t.name));
    for (const name of [...this.initializers.keys()]) if (!used.has(name)) this.initializers.delete(name);
  }

  /** Makes every reader of `from` read `to` instead. */
  rename(from: string, to: string): void {
    for (const n of this.nodes) n.input = n.input.map((i) => (i === from ? to : i));
  }

  remove(nodes: Node[]): void {
    const gone = new Set(nodes);
    this.nodes = this.nodes.filter((n) => !gone.has(n));
  }

  private tensor(name: string): Tensor {
    const t = this.initializers.get(name);
    if (!t) throw new Error(`no initialiser ${name}`);
    return t;
  }
}

/** A new node; `ints` and `floats` are its integer and float attributes. */
export function node(opType: string, inputs: string[], outputs: string[], ints: Record<string, number> = {}, floats: Record<string, number> = {}): Node {
  const { INT, FLOAT } = onnx.AttributeProto.AttributeType;
  return onnx.NodeProto.create({
    opType,
    input: inputs,
    output: outputs,
    name: `${opType}_${outputs[0]}`,
    attribute: [
      ...Object.entries(ints).map(([name, i]) => ({ name, type: INT, i })),
      ...Object.entries(floats).map(([name, f]) => ({ name, type: FLOAT, f })),
    ],
  });
}
