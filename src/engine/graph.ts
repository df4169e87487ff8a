// The engine's IR and its builder: static-shaped typed values, nodes = op + attributes (ops/op-def.ts), named scopes
// that follow diffusers' state-dict prefixes, so weights load by full name and any intermediate can become an output.
// Long because it is the one builder surface model code calls (one short method per op); the maths lives in ops/.
import { ModelError, BugError } from '../errors.ts';
import { float32, numel, tensor, type DType, type Tensor } from '../tensor.ts';
import { OPS } from './ops/index.ts';
import { ShapeError, formatShape, type ConvAttrs, type OpAttrs, type OpType } from './ops/op-def.ts';

export type ValueKind = 'input' | 'param' | 'constant' | 'node';

/** A typed value of the graph. `data` is set for params and constants. */
export interface Value {
  readonly id: number;
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly kind: ValueKind;
  readonly data?: Tensor;
  /** Params only: fed as a graph input (trained) instead of a constant initializer. */
  readonly trainable?: boolean;
}

export interface Node<K extends OpType = OpType> {
  readonly op: K;
  readonly name: string;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: OpAttrs[K];
}

export interface ParamOptions {
  /** Fed as a graph input so it can be trained and differentiated. @default false */
  readonly trainable?: boolean;
}

export interface ApplyOptions {
  /** Output name hint within the current scope. @default the op name in lower case */
  readonly name?: string;
  /** Full node name (autodiff uses `<forward name>/grad`). */
  readonly nodeName?: string;
}

/** torch-style conv options; numbers apply to both axes. */
export interface Conv2dOptions {
  /** @default 1 */ readonly stride?: number | readonly [number, number];
  /** @default 0 */ readonly padding?: number | readonly [number, number];
  /** @default 1 */ readonly dilation?: number | readonly [number, number];
  /** @default 1 */ readonly groups?: number;
}

export interface AttentionOptions {
  readonly heads: number;
  /** Multiplies q·k. @default 1/sqrt(head dim) */
  readonly scale?: number;
  /** Added to the scores before softmax, broadcastable to [B, heads, Tq, Tk]. */
  readonly bias?: Value;
  /**
   * Queries per chunk of the scores [B, heads, chunk, Tk] that the unfused forward and the backward's recomputation
   * hold at once (diffusers' sliced attention); the fused forward needs none. @default all queries
   */
  readonly queryChunk?: number;
}

const pair = (v: number | readonly [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** A graph under construction; model code reads like PyTorch: `g.conv2d(x, w, b, { padding: 1 })`. */
export class Graph {
  readonly values: Value[] = [];
  readonly nodes: Node[] = [];
  readonly outputs = new Map<string, Value>();
  private readonly names = new Set<string>();
  private readonly scopes: string[] = [];
  private readonly scalars = new Map<string, Value>();
  private nextId = 0;
  /** Set by autodiff: the graph holds a backward pass (emission then keeps attention unfused, see ops/attention.ts). */
  differentiated = false;
  /** Nodes built inside g.checkpoint(), by segment id: autodiff recomputes them in the backward pass. */
  readonly checkpointed = new Map<Node, number>();
  private segments = 0;
  /** A node-name prefix override while autodiff emits a backward rule. */
  private nodePrefix: string | undefined;

  /** Graph inputs in creation order (trainable params are appended at emission). */
  get inputs(): Value[] {
    return this.values.filter((v) => v.kind === 'input');
  }
  get params(): Value[] {
    return this.values.filter((v) => v.kind === 'param' || v.kind === 'constant');
  }

  /** Runs `build` with `name` appended to the scope path (`down_blocks.0` → `down_blocks.0.resnets.1`). */
  scope<T>(name: string, build: () => T): T {
    this.scopes.push(name);
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  /** The current scope path joined with `name`. */
  scoped(name: string): string {
    return [...this.scopes, name].join('.');
  }

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  private addValue(v: Omit<Value, 'id'>): Value {
    const value: Value = { ...v, id: this.nextId++ };
    this.values.push(value);
    return value;
  }

  /** A graph input fed at run time. @param shape static shape */
  input(name: string, dtype: DType, shape: readonly number[]): Value {
    if (this.names.has(name)) throw new ModelError({ what: `input name "${name}" is already used`, where: 'graph inputs', fix: 'give every input a unique name' });
    this.names.add(name);
    return this.addValue({ name, dtype, shape: [...shape], kind: 'input' });
  }

  /** A named weight (scoped: `conv1.weight` inside `down_blocks.0` is `down_blocks.0.conv1.weight`). */
  param(name: string, data: Tensor, options: ParamOptions = {}): Value {
    const full = this.scoped(name);
    if (this.names.has(full)) throw new ModelError({ what: `parameter "${full}" is defined twice`, where: full, fix: 'use a distinct name or scope' });
    this.names.add(full);
    return this.addValue({ name: full, dtype: data.dtype, shape: [...data.shape], kind: 'param', data, trainable: options.trainable ?? false });
  }

  /** An unnamed constant initializer. */
  constant(data: Tensor, hint = 'const'): Value {
    return this.addValue({ name: this.unique(this.scoped(hint)), dtype: data.dtype, shape: [...data.shape], kind: 'constant', data });
  }

  /** A scalar constant of a dtype (shared per value), for arithmetic with broadcasting. */
  scalar(value: number, dtype: DType = 'float32'): Value {
    const key = `${dtype}:${value}`;
    const found = this.scalars.get(key);
    if (found) return found;
    const data =
      dtype === 'float32' ? float32([], [value])
      : dtype === 'float64' ? tensor('float64', [], Float64Array.of(value))
      : dtype === 'int64' ? tensor('int64', [], BigInt64Array.of(BigInt(value)))
      : undefined;
    if (!data) throw new BugError(`scalar of dtype ${dtype} is not supported`);
    const v = this.constant(data, `scalar_${String(value).replace(/[^0-9a-z]/gi, '_')}`);
    this.scalars.set(key, v);
    return v;
  }

  /** Exposes a value as a graph output under `name` (fixture checks, previews, losses). */
  output(name: string, value: Value): Value {
    const existing = this.outputs.get(name);
    if (existing && existing.id !== value.id) throw new ModelError({ what: `output "${name}" is already bound to ${existing.name}`, where: 'graph outputs', fix: 'use another output name' });
    if (!existing && name !== value.name && this.names.has(name)) throw new ModelError({ what: `output name "${name}" is already the name of another value`, where: 'graph outputs', fix: 'use another output name' });
    this.names.add(name);
    this.outputs.set(name, value);
    return value;
  }

  /** Adds a node of any op; returns its outputs. Shape errors name the node, its scope and the input shapes. */
  apply<K extends OpType>(op: K, inputs: readonly Value[], attrs: OpAttrs[K], options: ApplyOptions = {}): Value[] {
    const hint = options.name ?? op.toLowerCase();
    const nodeName = this.unique(options.nodeName ?? (this.nodePrefix ? `${this.nodePrefix}/${hint}` : this.scoped(hint)));
    let types;
    try {
      types = OPS[op].infer(inputs, attrs as never);
    } catch (e) {
      if (!(e instanceof ShapeError)) throw e;
      const shapes = inputs.map((v) => `${v.name} ${v.dtype}${formatShape(v.shape)}`).join(', ');
      throw new ModelError({ what: `${op}: ${e.message}; inputs: ${shapes}`, where: `node ${nodeName}`, fix: e.fix ?? 'check the shapes of this layer against its weights and config' });
    }
    const outputs = types.map((t, i) => this.addValue({ name: types.length === 1 ? nodeName : `${nodeName}:${i}`, dtype: t.dtype, shape: t.shape, kind: 'node' }));
    this.nodes.push({ op, name: nodeName, inputs: [...inputs], outputs, attrs } as Node);
    return outputs;
  }

  /** Single-output apply. */
  op<K extends OpType>(op: K, inputs: readonly Value[], attrs: OpAttrs[K], options: ApplyOptions = {}): Value {
    const out = this.apply(op, inputs, attrs, options)[0];
    if (!out) throw new BugError(`${op} produced no output`);
    return out;
  }

  /**
   * Gradient checkpointing: the activations inside `build` are not kept for the backward pass but recomputed there
   * (autodiff.ts), trading one more forward of the block for its activation memory.
   */
  checkpoint<T>(build: () => T): T {
    const start = this.nodes.length;
    const result = build();
    const id = ++this.segments;
    for (const n of this.nodes.slice(start)) this.checkpointed.set(n, id);
    return result;
  }

  /** Runs `build` with every new node named `<prefix>/<hint>` (autodiff: `<forward name>/grad`). */
  withNodePrefix<T>(prefix: string, build: () => T): T {
    const saved = this.nodePrefix;
    this.nodePrefix = prefix;
    try {
      return build();
    } finally {
      this.nodePrefix = saved;
    }
  }

  /** A copy sharing values and nodes (they are immutable), so autodiff can append without touching the original. */
  clone(): Graph {
    const g = new Graph();
    g.values.push(...this.values);
    g.nodes.push(...this.nodes);
    for (const [k, v] of this.outputs) g.outputs.set(k, v);
    for (const n of this.names) g.names.add(n);
    for (const [k, v] of this.scalars) g.scalars.set(k, v);
    g.nextId = this.nextId;
    g.differentiated = this.differentiated;
    for (const [n, id] of this.checkpointed) g.checkpointed.set(n, id);
    g.segments = this.segments;
    return g;
  }

  // ── elementwise ────────────────────────────────────────────────────────────
  add(a: Value, b: Value | number): Value { return this.op('Add', [a, this.lift(b, a)], {}); }
  sub(a: Value, b: Value | number): Value { return this.op('Sub', [a, this.lift(b, a)], {}); }
  mul(a: Value, b: Value | number): Value { return this.op('Mul', [a, this.lift(b, a)], {}); }
  div(a: Value, b: Value | number): Value { return this.op('Div', [a, this.lift(b, a)], {}); }
  pow(a: Value, b: Value | number): Value { return this.op('Pow', [a, this.lift(b, a)], {}); }
  neg(x: Value): Value { return this.op('Neg', [x], {}); }
  abs(x: Value): Value { return this.op('Abs', [x], {}); }
  exp(x: Value): Value { return this.op('Exp', [x], {}); }
  log(x: Value): Value { return this.op('Log', [x], {}); }
  sqrt(x: Value): Value { return this.op('Sqrt', [x], {}); }
  tanh(x: Value): Value { return this.op('Tanh', [x], {}); }
  sigmoid(x: Value): Value { return this.op('Sigmoid', [x], {}); }
  erf(x: Value): Value { return this.op('Erf', [x], {}); }
  sin(x: Value): Value { return this.op('Sin', [x], {}); }
  cos(x: Value): Value { return this.op('Cos', [x], {}); }
  relu(x: Value): Value { return this.op('Relu', [x], {}); }
  sign(x: Value): Value { return this.op('Sign', [x], {}); }
  equal(a: Value, b: Value): Value { return this.op('Equal', [a, b], {}); }
  greater(a: Value, b: Value | number): Value { return this.op('Greater', [a, this.lift(b, a)], {}); }
  less(a: Value, b: Value | number): Value { return this.op('Less', [a, this.lift(b, a)], {}); }
  /** `cond ? a : b` elementwise, broadcasting all three. */
  where(cond: Value, a: Value, b: Value): Value { return this.op('Where', [cond, a, b], {}); }
  cast(x: Value, to: DType): Value { return x.dtype === to ? x : this.op('Cast', [x], { to }); }
  /** x·sigmoid(x) (diffusers' SiLU; ORT fuses it). */
  silu(x: Value): Value { return this.op('Silu', [x], {}); }
  /** Exact GELU: x·½(1 + erf(x/√2)) (torch's default). */
  gelu(x: Value): Value { return this.op('Gelu', [x], {}); }
  /** CLIP's quick GELU: x·sigmoid(1.702x). */
  quickGelu(x: Value): Value { return this.mul(x, this.sigmoid(this.mul(x, 1.702))); }

  private lift(b: Value | number, like: Value): Value {
    return typeof b === 'number' ? this.scalar(b, like.dtype) : b;
  }

  // ── reductions ─────────────────────────────────────────────────────────────
  reduceSum(x: Value, axes: readonly number[], keepdims = false): Value { return this.op('ReduceSum', [x], { axes, keepdims }); }
  reduceMean(x: Value, axes: readonly number[], keepdims = false): Value { return this.op('ReduceMean', [x], { axes, keepdims }); }
  reduceMax(x: Value, axes: readonly number[], keepdims = false): Value { return this.op('ReduceMax', [x], { axes, keepdims }); }
  /** Sums a broadcast gradient back to `shape` (undoes numpy broadcasting). */
  sumTo(x: Value, shape: readonly number[]): Value {
    if (formatShape(x.shape) === formatShape(shape)) return x;
    const lead = x.shape.length - shape.length;
    const axes: number[] = [];
    for (let i = 0; i < x.shape.length; i++) if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) axes.push(i);
    const summed = axes.length > 0 ? this.reduceSum(x, axes, true) : x;
    return this.reshape(summed, shape);
  }

  // ── movement ───────────────────────────────────────────────────────────────
  /** Static reshape; one dim may be -1. */
  reshape(x: Value, shape: readonly number[]): Value {
    const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
    const resolved = shape.map((d) => (d === -1 ? numel(x.shape) / known : d));
    if (formatShape(resolved) === formatShape(x.shape)) return x;
    return this.op('Reshape', [x], { shape: resolved });
  }
  transpose(x: Value, perm: readonly number[]): Value {
    if (perm.every((p, i) => p === i)) return x;
    // Moving only size-1 axes keeps the memory order: a free reshape instead of a copy.
    const moved = perm.filter((p) => x.shape[p] !== 1);
    if (perm.length === x.shape.length && moved.every((p, i) => i === 0 || p > moved[i - 1]!)) return this.reshape(x, perm.map((p) => x.shape[p]!));
    return this.op('Transpose', [x], { perm });
  }
  concat(xs: readonly Value[], axis: number): Value { return xs.length === 1 ? xs[0]! : this.op('Concat', xs, { axis }); }
  slice(x: Value, axes: readonly number[], starts: readonly number[], ends: readonly number[], steps?: readonly number[]): Value {
    return this.op('Slice', [x], { axes, starts, ends, steps: steps ?? axes.map(() => 1) });
  }
  split(x: Value, axis: number, sizes: readonly number[]): Value[] { return this.apply('Split', [x], { axis, sizes }); }
  /** torch.index_select / embedding lookup: output = x.shape with axis replaced by indices.shape. */
  gather(x: Value, indices: Value, axis = 0): Value { return this.op('Gather', [x, indices], { axis }); }
  expand(x: Value, shape: readonly number[]): Value { return this.op('Expand', [x], { shape }); }
  squeeze(x: Value, axes: readonly number[]): Value {
    const rank = x.shape.length;
    const drop = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
    return this.reshape(x, x.shape.filter((_, i) => !drop.has(i)));
  }
  unsqueeze(x: Value, axes: readonly number[]): Value {
    const rank = x.shape.length + axes.length;
    const add = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
    const shape: number[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) shape.push(add.has(i) ? 1 : x.shape[j++]!);
    return this.reshape(x, shape);
  }
  /** Zero padding; pads = [begin_0, …, begin_n, end_0, …, end_n] (ONNX order). */
  pad(x: Value, pads: readonly number[]): Value { return pads.every((p) => p === 0) ? x : this.op('Pad', [x], { pads }); }
  /** Nearest-neighbour ×2 upsampling of [N, C, H, W] (diffusers' Upsample2D). */
  resizeNearest2x(x: Value): Value { return this.op('ResizeNearest', [x], { scale: 2 }); }
  maxPool(x: Value, kernel: number, stride = kernel): Value { return this.op('MaxPool', [x], { kernel: [kernel, kernel], stride: [stride, stride] }); }

  // ── linear algebra, conv, norms, attention ─────────────────────────────────
  matmul(a: Value, b: Value): Value { return this.op('MatMul', [a, b], {}); }
  /** torch.nn.Linear: x [..., in] · weight [out, in]ᵀ + bias [out] (one op: ops/matmul.ts says why). */
  linear(x: Value, weight: Value, bias?: Value): Value { return this.op('Linear', bias ? [x, weight, bias] : [x, weight], {}); }
  softmax(x: Value, axis = -1): Value { return this.op('Softmax', [x], { axis }); }
  /** torch.nn.Conv2d: x [N, Cin, H, W], weight [Cout, Cin/groups, kH, kW], bias [Cout]. */
  conv2d(x: Value, weight: Value, bias?: Value, options: Conv2dOptions = {}): Value {
    const attrs: ConvAttrs = { stride: pair(options.stride ?? 1), padding: pair(options.padding ?? 0), dilation: pair(options.dilation ?? 1), groups: options.groups ?? 1 };
    return this.op('Conv', bias ? [x, weight, bias] : [x, weight], attrs);
  }
  /** torch.nn.ConvTranspose2d: weight [Cin, Cout/groups, kH, kW]. */
  convTranspose(x: Value, weight: Value, bias?: Value, options: Conv2dOptions & { outputPadding?: number } = {}): Value {
    const attrs = { stride: pair(options.stride ?? 1), padding: pair(options.padding ?? 0), dilation: pair(options.dilation ?? 1), groups: options.groups ?? 1, outputPadding: pair(options.outputPadding ?? 0) };
    return this.op('ConvTranspose', bias ? [x, weight, bias] : [x, weight], attrs);
  }
  /** Normalises over the last `normalizedRank` axes, then ·gamma + beta (torch.nn.LayerNorm). */
  layerNorm(x: Value, gamma: Value | undefined, beta: Value | undefined, eps = 1e-5, normalizedRank = 1): Value {
    const axis = x.shape.length - normalizedRank;
    const scale = gamma ?? this.constant(onesLike(x.dtype, x.shape.slice(axis)), 'ones');
    return this.op('LayerNormalization', beta ? [x, scale, beta] : [x, scale], { axis, epsilon: eps }, { name: 'layer_norm' });
  }
  /** torch.nn.GroupNorm on [N, C, ...]: LayerNormalization over a [N, G, K] reshape (fastest on ORT, engine.md). */
  groupNorm(x: Value, groups: number, gamma: Value | undefined, beta: Value | undefined, eps = 1e-5): Value {
    const [n, c] = x.shape as [number, number];
    if (c % groups !== 0) throw new ModelError({ what: `group norm: ${c} channels do not split into ${groups} groups`, where: this.scoped('group_norm'), fix: 'use a group count that divides the channel count' });
    const k = numel(x.shape) / n / groups;
    const normed = this.reshape(this.layerNorm(this.reshape(x, [n, groups, k]), undefined, undefined, eps), x.shape);
    const affine = [c, ...x.shape.slice(2).map(() => 1)];
    const scaled = gamma ? this.mul(normed, this.reshape(gamma, affine)) : normed;
    return beta ? this.add(scaled, this.reshape(beta, affine)) : scaled;
  }
  /**
   * Multi-head scaled dot-product attention.
   * @param q [B, Tq, D] @param k [B, Tk, D] @param v [B, Tk, D] (D = heads · head dim)
   * @returns [B, Tq, D]
   */
  attention(q: Value, k: Value, v: Value, options: AttentionOptions): Value {
    const headDim = (q.shape[2] ?? 0) / options.heads;
    const scale = options.scale ?? 1 / Math.sqrt(headDim);
    const inputs = options.bias ? [q, k, v, options.bias] : [q, k, v];
    const tq = q.shape[1] ?? 0;
    const chunked = options.queryChunk !== undefined && options.queryChunk < tq;
    return this.op('Attention', inputs, chunked ? { heads: options.heads, scale, queryChunk: Math.max(1, Math.floor(options.queryChunk!)) } : { heads: options.heads, scale });
  }
}

function onesLike(dtype: DType, shape: readonly number[]): Tensor {
  if (dtype === 'float64') return tensor('float64', shape, new Float64Array(numel(shape)).fill(1));
  return float32(shape, new Float32Array(numel(shape)).fill(1));
}
