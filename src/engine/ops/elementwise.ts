// Elementwise ops: arithmetic with numpy broadcasting, unary maths, comparisons, Where and Cast.
// Each rule returns one gradient per input; sumTo undoes broadcasting (micrograd's `+=` lives in autodiff.ts).
import type { Graph, Node, Value } from '../graph.ts';
import { ONNX_DTYPE, ShapeError, broadcastShapes, input, int, lowerDirect, noGradient, sameDType, type LowerContext, type OpDef, type OpType, type ValueType } from './op-def.ts';

const FLOAT_DTYPES = new Set(['float32', 'float64', 'float16']);

function binary(inputs: readonly ValueType[], op: string): ValueType[] {
  const dtype = sameDType(inputs, op);
  return [{ dtype, shape: broadcastShapes(input(inputs, 0, op).shape, input(inputs, 1, op).shape) }];
}

function unary(inputs: readonly ValueType[], op: string): ValueType[] {
  const x = input(inputs, 0, op);
  if (!FLOAT_DTYPES.has(x.dtype) && op !== 'Neg' && op !== 'Abs' && op !== 'Sign') throw new ShapeError(`${op} needs a float input, got ${x.dtype}`, 'cast the input with g.cast');
  return [{ dtype: x.dtype, shape: x.shape }];
}

function comparison(inputs: readonly ValueType[], op: string): ValueType[] {
  sameDType(inputs, op);
  return [{ dtype: 'bool', shape: broadcastShapes(input(inputs, 0, op).shape, input(inputs, 1, op).shape) }];
}

const io = (node: Node): { x: Value; y: Value } => ({ x: node.inputs[0]!, y: node.outputs[0]! });

function binaryDef<K extends 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow'>(op: K, grad: OpDef<K>['grad']): OpDef<K> {
  return { infer: (inputs) => binary(inputs, op), lower: lowerDirect(op), grad };
}

/** An elementwise op whose derivative is a function of its input x and output y: dx = d · local(x, y). */
function unaryDef<K extends OpType>(op: K, local: ((g: Graph, x: Value, y: Value) => Value) | undefined, why?: string): OpDef<K> {
  return {
    infer: (inputs) => unary(inputs, op),
    lower: lowerDirect(op),
    grad: local ? (g, node, [d]) => { const { x, y } = io(node); return [d && g.mul(d, local(g, x, y))]; } : noGradient(why ?? 'piecewise constant'),
  };
}

// d(a+b) = d, d, each summed back to its operand's shape.
export const add = binaryDef('Add', (g, { inputs: [a, b] }, [d]) => [d && g.sumTo(d, a!.shape), d && g.sumTo(d, b!.shape)]);
// d(a−b) = d, −d.
export const sub = binaryDef('Sub', (g, { inputs: [a, b] }, [d]) => [d && g.sumTo(d, a!.shape), d && g.sumTo(g.neg(d), b!.shape)]);
// d(ab) = d·b, d·a.
export const mul = binaryDef('Mul', (g, { inputs: [a, b] }, [d]) => [d && g.sumTo(g.mul(d, b!), a!.shape), d && g.sumTo(g.mul(d, a!), b!.shape)]);
// d(a/b) = d/b, −d·(a/b)/b.
export const div = binaryDef('Div', (g, { inputs: [a, b] }, [d]) => {
  if (!d) return [undefined, undefined];
  const da = g.div(d, b!);
  return [g.sumTo(da, a!.shape), g.sumTo(g.neg(g.div(g.mul(da, a!), b!)), b!.shape)];
});
// d(a^b) = d·b·a^(b−1), d·a^b·ln a.
export const pow = binaryDef('Pow', (g, { inputs: [a, b], outputs: [y] }, [d]) => {
  if (!d) return [undefined, undefined];
  const da = g.mul(d, g.mul(b!, g.pow(a!, g.sub(b!, 1))));
  return [g.sumTo(da, a!.shape), g.sumTo(g.mul(d, g.mul(y!, g.log(a!))), b!.shape)];
});

export const neg: OpDef<'Neg'> = { infer: (i) => unary(i, 'Neg'), lower: lowerDirect('Neg'), grad: (g, _n, [d]) => [d && g.neg(d)] };
export const abs = unaryDef('Abs', (g, x) => g.sign(x));
export const sign = unaryDef('Sign', undefined, 'piecewise constant');
export const exp = unaryDef('Exp', (_g, _x, y) => y);
export const log = unaryDef('Log', (g, x) => g.div(g.scalar(1, x.dtype), x));
export const sqrt = unaryDef('Sqrt', (g, _x, y) => g.div(g.scalar(0.5, y.dtype), y));
export const tanh = unaryDef('Tanh', (g, _x, y) => g.sub(g.scalar(1, y.dtype), g.mul(y, y)));
export const sigmoid = unaryDef('Sigmoid', (g, _x, y) => g.mul(y, g.sub(g.scalar(1, y.dtype), y)));
// erf'(x) = 2/√π · exp(−x²)
export const erf: OpDef<'Erf'> = { ...unaryDef('Erf', (g, x) => g.mul(g.exp(g.neg(g.mul(x, x))), 2 / Math.sqrt(Math.PI))), lower: lowerErf };

/**
 * ORT has no float64 Erf: in check mode it is lowered as its Maclaurin series
 * erf(x) = 2/√π · Σ (−1)ⁿ x²ⁿ⁺¹ / (n!(2n+1)), 40 terms in Horner form (float64-exact for |x| ≤ 3).
 */
function lowerErf(ctx: LowerContext, node: Node<'Erf'>): void {
  emitErf(ctx, ctx.name(node.inputs[0]!), ctx.name(node.outputs[0]!), node.inputs[0]!.dtype);
}

function emitErf(ctx: LowerContext, x: string, out: string, dtype: Value['dtype']): void {
  if (dtype !== 'float64') return ctx.node('Erf', [x], [out]);
  const x2 = ctx.temp('x2');
  ctx.node('Mul', [x, x], [x2]);
  const terms = 40;
  const coeff = (n: number): number => {
    let f = 1;
    for (let i = 2; i <= n; i++) f *= i;
    return (n % 2 === 0 ? 1 : -1) / (f * (2 * n + 1));
  };
  let acc = ctx.scalar(coeff(terms - 1), 'float64');
  for (let n = terms - 2; n >= 0; n--) {
    const prod = ctx.temp('horner_mul');
    const sum = ctx.temp('horner_add');
    ctx.node('Mul', [acc, x2], [prod]);
    ctx.node('Add', [prod, ctx.scalar(coeff(n), 'float64')], [sum]);
    acc = sum;
  }
  const xp = ctx.temp('x_series');
  ctx.node('Mul', [acc, x], [xp]);
  ctx.node('Mul', [xp, ctx.scalar(2 / Math.sqrt(Math.PI), 'float64')], [out]);
}

// Gelu and Silu are single IR nodes, lowered to their usual ONNX composites (which ORT fuses where nothing else
// reads the intermediates), so that their gradient reads x alone: the composites' autodiff kept three or four
// activation-sized intermediates alive for the backward pass instead (SD 1.5 inversion at 512²: ~0.6 GiB).

/** Exact GELU x·Φ(x), Φ(x) = ½(1 + erf(x/√2)), as x·½ · (1 + erf(x·√½)) (torch's default). */
function lowerGelu(ctx: LowerContext, node: Node<'Gelu'>): void {
  const [x, dtype] = [ctx.name(node.inputs[0]!), node.inputs[0]!.dtype];
  const [half, scaled, e, onePlus] = [ctx.temp('half'), ctx.temp('scaled'), ctx.temp('erf'), ctx.temp('one_plus')];
  ctx.node('Mul', [x, ctx.scalar(0.5, dtype)], [half]);
  ctx.node('Mul', [x, ctx.scalar(Math.SQRT1_2, dtype)], [scaled]);
  emitErf(ctx, scaled, e, dtype);
  ctx.node('Add', [e, ctx.scalar(1, dtype)], [onePlus]);
  ctx.node('Mul', [half, onePlus], [ctx.name(node.outputs[0]!)]);
}

// gelu'(x) = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π), recomputed from x.
export const gelu: OpDef<'Gelu'> = {
  ...unaryDef('Gelu', (g, x) => {
    const cdf = g.mul(g.add(g.erf(g.mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = g.mul(g.exp(g.mul(g.mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return g.add(cdf, g.mul(x, pdf));
  }),
  lower: lowerGelu,
};

/** SiLU x·σ(x) as Sigmoid and Mul. */
function lowerSilu(ctx: LowerContext, node: Node<'Silu'>): void {
  const [x, s] = [ctx.name(node.inputs[0]!), ctx.temp('sigmoid')];
  ctx.node('Sigmoid', [x], [s]);
  ctx.node('Mul', [x, s], [ctx.name(node.outputs[0]!)]);
}

// silu'(x) = σ(x)·(1 + x·(1 − σ(x))), σ recomputed from x.
export const silu: OpDef<'Silu'> = {
  ...unaryDef('Silu', (g, x) => {
    const s = g.sigmoid(x);
    return g.mul(s, g.add(g.mul(x, g.sub(g.scalar(1, s.dtype), s)), 1));
  }),
  lower: lowerSilu,
};

export const sin = unaryDef('Sin', (g, x) => g.cos(x));
export const cos = unaryDef('Cos', (g, x) => g.neg(g.sin(x)));
export const relu = unaryDef('Relu', (g, x) => g.cast(g.greater(x, 0), x.dtype));

export const equal: OpDef<'Equal'> = { infer: (i) => comparison(i, 'Equal'), lower: lowerDirect('Equal'), grad: noGradient('comparison') };
export const greater: OpDef<'Greater'> = { infer: (i) => comparison(i, 'Greater'), lower: lowerDirect('Greater'), grad: noGradient('comparison') };
export const less: OpDef<'Less'> = { infer: (i) => comparison(i, 'Less'), lower: lowerDirect('Less'), grad: noGradient('comparison') };

export const where: OpDef<'Where'> = {
  infer: (inputs) => {
    const [c, a, b] = [input(inputs, 0, 'Where'), input(inputs, 1, 'Where'), input(inputs, 2, 'Where')];
    if (c.dtype !== 'bool') throw new ShapeError(`Where condition must be bool, got ${c.dtype}`);
    const dtype = sameDType([a, b], 'Where');
    return [{ dtype, shape: broadcastShapes(broadcastShapes(c.shape, a.shape), b.shape) }];
  },
  lower: lowerDirect('Where'),
  // The gradient flows to the branch that was chosen.
  grad: (g, { inputs: [c, a, b] }, [d]) => {
    if (!d) return [undefined, undefined, undefined];
    const zero = g.scalar(0, d.dtype);
    return [undefined, g.sumTo(g.where(c!, d, zero), a!.shape), g.sumTo(g.where(c!, zero, d), b!.shape)];
  },
};

export const cast: OpDef<'Cast'> = {
  infer: (inputs, { to }) => [{ dtype: to, shape: input(inputs, 0, 'Cast').shape }],
  lower: lowerDirect('Cast', (node) => ({ to: int(ONNX_DTYPE[node.attrs.to]) })),
  // Casting between float types passes the gradient through; from integers there is none.
  grad: (g, { inputs: [x] }, [d]) => [d && FLOAT_DTYPES.has(x!.dtype) ? g.cast(d, x!.dtype) : undefined],
};
