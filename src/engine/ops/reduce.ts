// Reductions over static axes: ReduceSum, ReduceMean, ReduceMax (opset 18: axes as an int64 input).
import type { Graph, Node, Value } from '../graph.ts';
import { input, int, normAxis, type LowerContext, type OpAttrs, type OpDef, type ValueType } from './op-def.ts';

type ReduceOp = 'ReduceSum' | 'ReduceMean' | 'ReduceMax';

function axesOf(rank: number, axes: readonly number[]): number[] {
  return [...new Set(axes.map((a) => normAxis(a, rank)))].sort((a, b) => a - b);
}

function infer(inputs: readonly ValueType[], attrs: OpAttrs[ReduceOp], op: string): ValueType[] {
  const x = input(inputs, 0, op);
  const axes = new Set(axesOf(x.shape.length, attrs.axes));
  const shape = attrs.keepdims ? x.shape.map((d, i) => (axes.has(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.has(i));
  return [{ dtype: x.dtype, shape }];
}

function lower(op: ReduceOp) {
  return (ctx: LowerContext, node: Node<ReduceOp>): void => {
    const x = node.inputs[0]!;
    const axes = ctx.int64(axesOf(x.shape.length, node.attrs.axes));
    ctx.node(op, [ctx.name(x), axes], [ctx.name(node.outputs[0]!)], { keepdims: int(node.attrs.keepdims ? 1 : 0) });
  };
}

/** The output gradient reshaped to keepdims form and broadcast over the reduced axes. */
function spread(g: Graph, node: Node<ReduceOp>, v: Value): Value {
  const x = node.inputs[0]!;
  const axes = new Set(axesOf(x.shape.length, node.attrs.axes));
  return g.expand(g.reshape(v, x.shape.map((d, i) => (axes.has(i) ? 1 : d))), x.shape);
}

function count(node: Node<ReduceOp>): number {
  const x = node.inputs[0]!;
  return axesOf(x.shape.length, node.attrs.axes).reduce((p, a) => p * x.shape[a]!, 1);
}

export const reduceSum: OpDef<'ReduceSum'> = {
  infer: (i, a) => infer(i, a, 'ReduceSum'),
  lower: lower('ReduceSum'),
  grad: (g, node, [d]) => [d && spread(g, node, d)],
};

export const reduceMean: OpDef<'ReduceMean'> = {
  infer: (i, a) => infer(i, a, 'ReduceMean'),
  lower: lower('ReduceMean'),
  grad: (g, node, [d]) => [d && spread(g, node, g.div(d, count(node)))],
};

export const reduceMax: OpDef<'ReduceMax'> = {
  infer: (i, a) => infer(i, a, 'ReduceMax'),
  lower: lower('ReduceMax'),
  // Arg-mask: the gradient goes to the maxima, split evenly between ties (as torch.amax does).
  grad: (g, node, [d]) => {
    if (!d) return [undefined];
    const x = node.inputs[0]!;
    const mask = g.cast(g.equal(x, spread(g, node, node.outputs[0]!)), x.dtype);
    const ties = g.reduceSum(mask, node.attrs.axes, node.attrs.keepdims);
    return [g.mul(mask, spread(g, node, g.div(d, ties)))];
  },
};
