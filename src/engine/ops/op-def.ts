// The contract every op family implements (style.md "Engine: ops and gradient rules"): the op table with each op's
// attributes, and OpDef = shape inference + ONNX lowering + gradient rule, side by side.
import type { DType } from '../../tensor.ts';
import type { Graph, Node, Value } from '../graph.ts';

/** An attribute as written into ONNX: ints and floats are kept apart because the proto stores them apart. */
export type AttrValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string };

export const int = (value: number): AttrValue => ({ kind: 'int', value });
export const float = (value: number): AttrValue => ({ kind: 'float', value });
export const ints = (value: readonly number[]): AttrValue => ({ kind: 'ints', value });
export const str = (value: string): AttrValue => ({ kind: 'string', value });

/** 2-D convolution geometry, torch conventions: padding is symmetric per spatial axis. */
export interface ConvAttrs {
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

type None = Record<string, never>;

/** Every op of the IR with its attributes. Adding a key here forces an OpDef in ops/index.ts. */
export interface OpAttrs {
  Add: None; Sub: None; Mul: None; Div: None; Pow: None;
  Neg: None; Abs: None; Exp: None; Log: None; Sqrt: None; Tanh: None; Sigmoid: None; Erf: None; Sin: None; Cos: None;
  Relu: None; Sign: None; Gelu: None; Silu: None;
  Equal: None; Greater: None; Less: None;
  Where: None;
  Cast: { readonly to: DType };
  ReduceSum: { readonly axes: readonly number[]; readonly keepdims: boolean };
  ReduceMean: { readonly axes: readonly number[]; readonly keepdims: boolean };
  ReduceMax: { readonly axes: readonly number[]; readonly keepdims: boolean };
  Reshape: { readonly shape: readonly number[] };
  Transpose: { readonly perm: readonly number[] };
  Concat: { readonly axis: number };
  Slice: { readonly starts: readonly number[]; readonly ends: readonly number[]; readonly axes: readonly number[]; readonly steps: readonly number[] };
  Split: { readonly axis: number; readonly sizes: readonly number[] };
  Gather: { readonly axis: number };
  ScatterAdd: None;
  Expand: { readonly shape: readonly number[] };
  Pad: { readonly pads: readonly number[] };
  ResizeNearest: { readonly scale: number };
  MaxPool: { readonly kernel: readonly [number, number]; readonly stride: readonly [number, number] };
  MatMul: None;
  Linear: None;
  Softmax: { readonly axis: number };
  Conv: ConvAttrs;
  ConvTranspose: ConvAttrs & { readonly outputPadding: readonly [number, number] };
  LayerNormalization: { readonly axis: number; readonly epsilon: number };
  Attention: { readonly heads: number; readonly scale: number; readonly queryChunk?: number };
}
export type OpType = keyof OpAttrs;

/** Static type of a value: all shapes are known at build time. */
export interface ValueType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** Thrown by shape inference; Graph.apply turns it into a ModelError naming the node and its scope. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** Writes ONNX nodes for one IR node; names are ONNX value names. */
export interface LowerContext {
  /** The ONNX name of an IR value. */
  name(v: Value): string;
  /** A fresh ONNX name for an intermediate that exists only in the lowering. */
  temp(hint: string): string;
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs?: Readonly<Record<string, AttrValue>>, domain?: string): void;
  /** An int64 initializer (shapes, axes, indices); returns its name. */
  int64(values: readonly number[], shape?: readonly number[]): string;
  /** A float scalar initializer of the given dtype; returns its name. */
  scalar(value: number, dtype: DType): string;
  /** Whether fused contrib kernels (com.microsoft MultiHeadAttention) may be used: forward-only graphs. */
  readonly fused: boolean;
}

/** A gradient rule: one entry per forward input, undefined where there is none. */
export type GradRule<K extends OpType> = (g: Graph, node: Node<K>, dOutputs: readonly (Value | undefined)[]) => readonly (Value | undefined)[];

export interface NoGradient {
  readonly kind: 'none';
  readonly why: string;
}

/** Marks an op without gradients (comparisons, integer indices); autodiff fails naming `why` if one is needed. */
export function noGradient(why: string): NoGradient {
  return { kind: 'none', why };
}

export interface OpDef<K extends OpType> {
  /** Output types from input types, or a ShapeError naming both shapes. */
  readonly infer: (inputs: readonly ValueType[], attrs: OpAttrs[K]) => readonly ValueType[];
  readonly lower: (ctx: LowerContext, node: Node<K>) => void;
  readonly grad: GradRule<K> | NoGradient;
  /** For ops without a float64 ORT kernel (Conv, ConvTranspose): rebuild the node from primitives in check mode. */
  readonly expandFloat64?: (g: Graph, node: Node<K>) => readonly Value[];
}

/** Lowering of an op that maps 1:1 to the ONNX op of the same name. */
export function lowerDirect<K extends OpType>(onnxOp: string, attrs?: (node: Node<K>) => Readonly<Record<string, AttrValue>>) {
  return (ctx: LowerContext, node: Node<K>): void =>
    ctx.node(onnxOp, node.inputs.map((v) => ctx.name(v)), node.outputs.map((v) => ctx.name(v)), attrs?.(node));
}

/** ONNX TensorProto.DataType codes (onnx.proto). */
export const ONNX_DTYPE: Readonly<Record<DType, number>> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** numpy broadcasting of two shapes; ShapeError naming both when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (axis ${i}: ${da} vs ${db})`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

export function sameDType(inputs: readonly ValueType[], op: string): DType {
  const first = inputs[0];
  if (!first) throw new ShapeError(`${op} needs at least one input`);
  for (const v of inputs) {
    if (v.dtype !== first.dtype) throw new ShapeError(`${op} inputs have dtypes ${first.dtype} and ${v.dtype}`, 'cast one input with g.cast');
  }
  return first.dtype;
}

/** Normalises a possibly negative axis against a rank, ShapeError when out of range. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function input(inputs: readonly ValueType[], i: number, op: string): ValueType {
  const v = inputs[i];
  if (!v) throw new ShapeError(`${op} expects input ${i}, got ${inputs.length} inputs`);
  return v;
}
