// MatMul with numpy batch broadcasting (rank ≥ 2). Gradients are two more MatMuls; when a 2-D weight meets a batched
// activation, the batch is folded into rows so the weight gradient is one Gemm instead of a batched product + sum.
import type { Graph, Node, Value } from '../graph.ts';
import { ShapeError, broadcastShapes, formatShape, input, int, lowerDirect, sameDType, type LowerContext, type OpDef } from './op-def.ts';

/** Swaps the last two axes. */
export function transposeLast(g: Graph, x: Value): Value {
  const r = x.shape.length;
  return g.transpose(x, [...x.shape.slice(0, r - 2).map((_, i) => i), r - 1, r - 2]);
}

export const matmul: OpDef<'MatMul'> = {
  infer: (inputs) => {
    const dtype = sameDType(inputs, 'MatMul');
    const [a, b] = [input(inputs, 0, 'MatMul'), input(inputs, 1, 'MatMul')];
    if (a.shape.length < 2 || b.shape.length < 2) throw new ShapeError(`MatMul needs rank ≥ 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`, 'unsqueeze vectors first');
    const [m, k] = a.shape.slice(-2) as [number, number];
    const [k2, n] = b.shape.slice(-2) as [number, number];
    if (k !== k2) throw new ShapeError(`inner dims differ: ${formatShape(a.shape)} · ${formatShape(b.shape)} (${k} vs ${k2})`);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return [{ dtype, shape: [...batch, m, n] }];
  },
  lower: lowerDirect('MatMul'),
  // dA = dY·Bᵀ, dB = Aᵀ·dY, each summed back over broadcast batch axes.
  grad: (g, { inputs: [a, b] }, [d]) => {
    if (!d) return [undefined, undefined];
    const da = g.sumTo(g.matmul(d, transposeLast(g, b!)), a!.shape);
    if (b!.shape.length === 2 && a!.shape.length > 2) {
      const k = a!.shape[a!.shape.length - 1]!;
      const n = d.shape[d.shape.length - 1]!;
      return [da, g.matmul(transposeLast(g, g.reshape(a!, [-1, k])), g.reshape(d, [-1, n]))];
    }
    return [da, g.sumTo(g.matmul(transposeLast(g, a!), d), b!.shape)];
  },
};

/**
 * torch.nn.Linear, y = x·Wᵀ + b with W stored [out, in], as one op so that the forward and the backward read the same
 * stored W: lowered to Gemm(transB = 1), and dx = dY·W is a MatMul on W itself. As MatMul(x, Transpose(W)), ORT
 * constant-folded Wᵀ for the forward and (Wᵀ)ᵀ for the backward: two copies of every linear weight (SD 1.5-size
 * inversion step: 2.54 GiB of folded copies, the stored weights unused; bench/inversion.bench.ts).
 * x [..., K], W [N, K], b [N] → [..., N].
 */
export const linear: OpDef<'Linear'> = {
  infer: (inputs) => {
    const dtype = sameDType(inputs, 'Linear');
    const [x, w] = [input(inputs, 0, 'Linear'), input(inputs, 1, 'Linear')];
    const bias = inputs[2];
    const k = x.shape[x.shape.length - 1];
    if (x.shape.length < 1 || w.shape.length !== 2 || w.shape[1] !== k) throw new ShapeError(`Linear needs x [..., in] and weight [out, in], got ${formatShape(x.shape)} and ${formatShape(w.shape)}`);
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== w.shape[0])) throw new ShapeError(`Linear bias ${formatShape(bias.shape)} does not match weight ${formatShape(w.shape)}`);
    return [{ dtype, shape: [...x.shape.slice(0, -1), w.shape[0]!] }];
  },
  lower: lowerLinear,
  // dx = dY·W; dW = dYᵀ·x and db = Σ dY over the rows, with every leading axis folded into rows (one Gemm each).
  grad: (g, { inputs }, [d]) => {
    const [x, w, bias] = inputs;
    if (!d) return inputs.map(() => undefined);
    const [n, k] = w!.shape as [number, number];
    const rows = g.reshape(d, [-1, n]);
    const dw = g.matmul(transposeLast(g, rows), g.reshape(x!, [-1, k]));
    return [g.reshape(g.matmul(rows, w!), x!.shape), dw, ...(bias ? [g.reduceSum(rows, [0])] : [])];
  },
};

function lowerLinear(ctx: LowerContext, node: Node<'Linear'>): void {
  const [x, w, bias] = node.inputs;
  const out = node.outputs[0]!;
  const k = x!.shape[x!.shape.length - 1]!;
  const flat = x!.shape.length === 2;
  const rows = flat ? ctx.name(x!) : ctx.temp('rows');
  if (!flat) ctx.node('Reshape', [ctx.name(x!), ctx.int64([-1, k])], [rows]);
  const y = flat ? ctx.name(out) : ctx.temp('gemm');
  ctx.node('Gemm', [rows, ctx.name(w!), ...(bias ? [ctx.name(bias)] : [])], [y], { transB: int(1) });
  if (!flat) ctx.node('Reshape', [y, ctx.int64(out.shape)], [ctx.name(out)]);
}
