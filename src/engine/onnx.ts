// ONNX emission: an IR graph → ModelProto bytes through protobufjs and the official schema (src/engine/onnx.proto).
// Weights are initializers (inline, or external data shared by every variant of a model) or, when trainable, inputs.
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { BugError } from '../errors.ts';
import { byteSize, type DType, type Tensor } from '../tensor.ts';
import { Graph, type Node, type Value } from './graph.ts';
import { OPS } from './ops/index.ts';
import { ONNX_DTYPE, type AttrValue, type LowerContext } from './ops/op-def.ts';

/** Opset of the default domain: 18 takes Reduce* axes and Split sizes as inputs. */
export const OPSET = 18;
const IR_VERSION = 8;

let modelType: protobuf.Type | undefined;
function modelProto(): protobuf.Type {
  if (!modelType) {
    const text = readFileSync(new URL('./onnx.proto', import.meta.url), 'utf8');
    modelType = protobuf.parse(text, { keepCase: true }).root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** Where each externally stored weight lives in the shared weights file (relative to the model file). */
export interface ExternalData {
  readonly location: string;
  readonly entries: ReadonlyMap<string, { readonly offset: number; readonly length: number }>;
}

export interface EmitOptions {
  /** Weights found here are written as external-data references instead of inline bytes. */
  readonly external?: ExternalData;
  /** Emit every param as a graph input (benchmarks of trained weights). @default false: only trainable ones */
  readonly paramsAsInputs?: boolean;
  /** Use fused contrib kernels (MultiHeadAttention). @default true for graphs without a backward pass */
  readonly fused?: boolean;
  /** Stored Linear/MatMul weights above this many bytes reach their nodes through an opaque alias: ORT does not prepack them. @default none: all may be */
  readonly prepackMaxBytes?: number;
}

/** Bytes of a tensor's data as stored in raw_data / external files (little-endian, no copy). */
export function tensorBytes(t: Tensor): Uint8Array {
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Rebuilds float64 nodes that ORT has no kernel for (Conv, ConvTranspose) from primitives. */
export function expandFloat64(graph: Graph): Graph {
  const needs = graph.nodes.some((n) => OPS[n.op].expandFloat64 && n.outputs[0]?.dtype === 'float64');
  if (!needs) return graph;
  const g = graph.clone();
  g.nodes.length = 0;
  const remap = new Map<number, Value>();
  const map = (v: Value): Value => remap.get(v.id) ?? v;
  for (const node of graph.nodes) {
    const inputs = node.inputs.map(map);
    const mapped = { ...node, inputs } as Node;
    const expand = OPS[node.op].expandFloat64 as ((g: Graph, n: Node) => readonly Value[]) | undefined;
    if (expand && node.outputs[0]?.dtype === 'float64') {
      const outs = g.withNodePrefix(node.name, () => expand(g, mapped));
      node.outputs.forEach((o, i) => remap.set(o.id, outs[i]!));
    } else {
      g.nodes.push(mapped);
    }
  }
  for (const [name, v] of g.outputs) g.outputs.set(name, map(v));
  // An expansion may itself build expandable nodes (ConvTranspose → Conv): repeat until none are left.
  return expandFloat64(g);
}

/** Nodes needed for the outputs, in order (rules may build gradients nobody asked for; they are dropped here). */
function liveNodes(graph: Graph): Node[] {
  const producer = new Map<number, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o.id, n);
  const live = new Set<Node>();
  const stack = [...graph.outputs.values()];
  while (stack.length > 0) {
    const n = producer.get(stack.pop()!.id);
    if (!n || live.has(n)) continue;
    live.add(n);
    stack.push(...n.inputs);
  }
  return graph.nodes.filter((n) => live.has(n));
}

function valueInfo(name: string, dtype: DType, shape: readonly number[]) {
  return { name, type: { tensor_type: { elem_type: ONNX_DTYPE[dtype], shape: { dim: shape.map((d) => ({ dim_value: d })) } } } };
}

function attribute(name: string, a: AttrValue) {
  switch (a.kind) {
    case 'int': return { name, type: 2, i: a.value };
    case 'float': return { name, type: 1, f: a.value };
    case 'ints': return { name, type: 7, ints: [...a.value] };
    case 'floats': return { name, type: 6, floats: [...a.value] };
    case 'string': return { name, type: 3, s: Buffer.from(a.value, 'utf8') };
  }
}

function initializer(name: string, t: Tensor, external: ExternalData | undefined) {
  const entry = external?.entries.get(name);
  const base = { name, dims: [...t.shape], data_type: ONNX_DTYPE[t.dtype] };
  if (!entry || !external) return { ...base, raw_data: tensorBytes(t) };
  const kv = (key: string, value: string | number) => ({ key, value: String(value) });
  return { ...base, data_location: 1, external_data: [kv('location', external.location), kv('offset', entry.offset), kv('length', entry.length)] };
}

/** The ONNX graph of `graph` (after float64 expansion and dead-node removal) as ModelProto bytes. */
export function emitModel(source: Graph, options: EmitOptions = {}): Uint8Array {
  const graph = expandFloat64(source);
  const nodes = liveNodes(graph);
  const protoNodes: object[] = [];
  const initializers: object[] = [];
  const used = new Set<number>();
  for (const n of nodes) for (const v of n.inputs) used.add(v.id);
  for (const v of graph.outputs.values()) used.add(v.id);
  let domains = new Set<string>();
  const consts = new Map<string, string>();
  let temps = 0;
  let current = '';
  const aliases = new Map<number, string>();
  const ctx: LowerContext = {
    name: (v) => aliases.get(v.id) ?? v.name,
    temp: (hint) => `${current}/${hint}_${temps++}`,
    node: (opType, inputs, outputs, attrs = {}, domain = '') => {
      if (domain) domains.add(domain);
      protoNodes.push({ op_type: opType, domain, name: `${current}#${protoNodes.length}`, input: [...inputs], output: [...outputs], attribute: Object.entries(attrs).map(([k, a]) => attribute(k, a)) });
    },
    int64: (values, shape) => constant(`i64:${values.join(',')}:${shape?.join(',')}`, { dtype: 'int64', shape: shape ?? [values.length], data: BigInt64Array.from(values, (v) => BigInt(v)) }),
    fused: options.fused ?? !graph.differentiated,
    scalar: (value, dtype) => {
      const data = dtype === 'float64' ? Float64Array.of(value) : dtype === 'float32' ? Float32Array.of(value) : undefined;
      if (!data) throw new BugError(`lowering scalar of dtype ${dtype}`);
      return constant(`${dtype}:${value}`, { dtype, shape: [], data } as Tensor);
    },
  };
  function constant(key: string, t: Tensor): string {
    const found = consts.get(key);
    if (found) return found;
    const name = `__const${consts.size}`;
    consts.set(key, name);
    initializers.push(initializer(name, t, undefined));
    return name;
  }
  const stored = (v: Value): boolean => v.kind === 'constant' || (v.kind === 'param' && !v.trainable && !options.paramsAsInputs);
  opaqueWeights(graph, nodes, stored, options.prepackMaxBytes, ctx, aliases);
  for (const n of nodes) {
    current = n.name;
    (OPS[n.op].lower as (c: LowerContext, n: Node) => void)(ctx, n);
  }
  const inputs: object[] = [];
  for (const v of graph.values) {
    if (v.kind === 'input') inputs.push(valueInfo(v.name, v.dtype, v.shape));
    else if (v.kind === 'param' && (v.trainable || options.paramsAsInputs)) inputs.push(valueInfo(v.name, v.dtype, v.shape));
    else if (stored(v) && used.has(v.id)) {
      if (!v.data) throw new BugError(`param ${v.name} has no data`);
      initializers.push(initializer(v.name, v.data, options.external));
    }
  }
  const outputs = [...graph.outputs].map(([name, v]) => {
    if (name !== v.name) protoNodes.push({ op_type: 'Identity', domain: '', name: `output:${name}`, input: [v.name], output: [name], attribute: [] });
    return valueInfo(name, v.dtype, v.shape);
  });
  const opsets = [{ domain: '', version: OPSET }, ...[...domains].map((domain) => ({ domain, version: 1 }))];
  domains = new Set();
  const model = { ir_version: IR_VERSION, producer_name: 'collage-diffusion', opset_import: opsets, graph: { name: 'graph', node: protoNodes, initializer: initializers, input: inputs, output: outputs } };
  const type = modelProto();
  return type.encode(model).finish();
}

/**
 * Stored weights that a ConvTranspose shares with another node (a frozen conv differentiated through: the forward Conv
 * and the input-gradient's ConvTranspose) reach every consumer through Reshape(W, shape + 0), the 0 computed from a
 * graph input: ORT then sees no constant, so neither its NCHWc transform (the forward Conv) nor ConvTranspose's
 * prepacking makes a second copy of the kernel; the Reshape aliases the stored bytes. So do the weights read only by
 * Linear/MatMul nodes above `prepackMaxBytes` (no packed copy of them). Fills `aliases` (value id → alias).
 */
function opaqueWeights(graph: Graph, nodes: readonly Node[], stored: (v: Value) => boolean, prepackMaxBytes: number | undefined, ctx: LowerContext, aliases: Map<number, string>): void {
  const consumers = new Map<number, Node[]>();
  for (const n of nodes) {
    for (const v of new Set(n.inputs)) {
      const readers = consumers.get(v.id);
      if (readers) readers.push(n);
      else consumers.set(v.id, [n]);
    }
  }
  const shared = new Map<number, Value>();
  for (const n of nodes) {
    const w = n.op === 'ConvTranspose' ? n.inputs[1] : undefined;
    if (w && stored(w) && consumers.get(w.id)!.length > 1) shared.set(w.id, w);
  }
  if (prepackMaxBytes !== undefined) {
    for (const w of graph.values) {
      const readers = consumers.get(w.id);
      if (!readers || !stored(w) || byteSize(w) <= prepackMaxBytes) continue;
      if (readers.every((n) => n.op === 'Linear' || n.op === 'MatMul')) shared.set(w.id, w);
    }
  }
  const source = graph.values.find((v) => v.kind === 'input' && (v.dtype === 'float32' || v.dtype === 'float64' || v.dtype === 'int64' || v.dtype === 'int32'));
  if (shared.size === 0 || !source) return;
  // 0 as int64[1] from the input's first element: Less(x, x) is false even for NaN.
  const flat = ctx.temp('opaque_flat');
  const first = ctx.temp('opaque_first');
  const never = ctx.temp('opaque_false');
  const zero = ctx.temp('opaque_zero');
  ctx.node('Reshape', [source.name, ctx.int64([-1])], [flat]);
  ctx.node('Slice', [flat, ctx.int64([0]), ctx.int64([1]), ctx.int64([0])], [first]);
  ctx.node('Less', [first, first], [never]);
  ctx.node('Cast', [never], [zero], { to: { kind: 'int', value: ONNX_DTYPE.int64 } });
  for (const w of shared.values()) {
    const shape = ctx.temp(`${w.name}/opaque_shape`);
    const alias = ctx.temp(`${w.name}/opaque`);
    ctx.node('Add', [ctx.int64(w.shape), zero], [shape]);
    ctx.node('Reshape', [w.name, shape], [alias]);
    aliases.set(w.id, alias);
  }
}

/** Decodes ModelProto bytes to a plain object (tests and debugging). */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  const type = modelProto();
  return type.toObject(type.decode(bytes), { longs: Number, bytes: Array, defaults: false }) as Record<string, unknown>;
}
