// MatMul with numpy batch broadcasting (rank ≥ 2). Gradients are two more MatMuls; when a 2-D weight meets a batched
// activation, the batch is folded into rows so the weight gradient is one Gemm instead of a batched product + sum.
import type { Graph, Value } from '../graph.ts';
import { ShapeError, broadcastShapes, formatShape, input, lowerDirect, sameDType, type OpDef } from './op-def.ts';

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
