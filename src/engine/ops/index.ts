// The exhaustive op registry: `{ [K in OpType]: OpDef<K> }`, so an op added to OpAttrs without a definition (shape
// inference, lowering, gradient rule) fails to compile.
import { attention, softmax } from './attention.ts';
import { conv, convTranspose, maxPool } from './conv.ts';
import * as ew from './elementwise.ts';
import { linear, matmul } from './matmul.ts';
import { concat, expand, gather, pad, reshape, resizeNearest, scatterAdd, slice, split, transpose } from './movement.ts';
import { layerNormalization } from './norm.ts';
import type { OpDef, OpType } from './op-def.ts';
import { reduceMax, reduceMean, reduceSum } from './reduce.ts';

export const OPS: { readonly [K in OpType]: OpDef<K> } = {
  Add: ew.add, Sub: ew.sub, Mul: ew.mul, Div: ew.div, Pow: ew.pow,
  Neg: ew.neg, Abs: ew.abs, Sign: ew.sign, Exp: ew.exp, Log: ew.log, Sqrt: ew.sqrt, Tanh: ew.tanh, Sigmoid: ew.sigmoid,
  Erf: ew.erf, Sin: ew.sin, Cos: ew.cos, Relu: ew.relu, Gelu: ew.gelu, Silu: ew.silu,
  Equal: ew.equal, Greater: ew.greater, Less: ew.less, Where: ew.where, Cast: ew.cast,
  ReduceSum: reduceSum, ReduceMean: reduceMean, ReduceMax: reduceMax,
  Reshape: reshape, Transpose: transpose, Concat: concat, Slice: slice, Split: split, Gather: gather,
  ScatterAdd: scatterAdd, Expand: expand, Pad: pad, ResizeNearest: resizeNearest,
  MaxPool: maxPool, MatMul: matmul, Linear: linear, Softmax: softmax,
  Conv: conv, ConvTranspose: convTranspose, LayerNormalization: layerNormalization, Attention: attention,
};

export { ShapeError, noGradient, ONNX_DTYPE } from './op-def.ts';
export type { OpAttrs, OpDef, OpType, ValueType, LowerContext, AttrValue, ConvAttrs } from './op-def.ts';
