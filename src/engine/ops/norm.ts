// LayerNormalization (opset 17), the one norm primitive: layer norm directly, group norm over a [N, G, K] reshape
// (engine.md: fastest on ORT; its InvStdDev output serves the backward pass).
import type { Graph, Value } from '../graph.ts';
import { ShapeError, float, formatShape, input, int, normAxis, type OpDef } from './op-def.ts';

export const layerNormalization: OpDef<'LayerNormalization'> = {
  infer: (inputs, { axis }) => {
    const x = input(inputs, 0, 'LayerNormalization');
    const scale = input(inputs, 1, 'LayerNormalization');
    const a = normAxis(axis, x.shape.length);
    const normShape = x.shape.slice(a);
    for (const p of inputs.slice(1)) {
      if (p.dtype !== x.dtype) throw new ShapeError(`scale/bias dtype ${p.dtype} differs from input ${x.dtype}`);
      if (formatShape(p.shape) !== formatShape(normShape)) throw new ShapeError(`scale/bias shape ${formatShape(p.shape)} must equal the normalised shape ${formatShape(normShape)} of ${formatShape(x.shape)}`);
    }
    void scale;
    const stats = x.shape.map((d, i) => (i < a ? d : 1));
    // Mean and InvStdDev are float32 (stash_type) even for float64 input: ORT has no double-stash kernel.
    const statType = x.dtype === 'float64' ? 'float32' : x.dtype;
    return [{ dtype: x.dtype, shape: x.shape }, { dtype: statType, shape: stats }, { dtype: statType, shape: stats }];
  },
  lower: (ctx, n) =>
    ctx.node('LayerNormalization', n.inputs.map((v) => ctx.name(v)), n.outputs.map((v) => ctx.name(v)), { axis: int(n.attrs.axis), epsilon: float(n.attrs.epsilon) }),
  // x̂ = (x − μ)·σ⁻¹, dx̂ = dY·γ; dx = σ⁻¹·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)); dγ = Σ dY·x̂; dβ = Σ dY.
  grad: (g, { inputs: [x, scale, bias], outputs: [y, savedMean, savedInvStd], attrs: { axis, epsilon } }, [d]) => {
    if (!d) return [undefined, undefined, undefined];
    // Group norm's inner layer norm has a constant ones scale and no bias: then x̂ is the output itself and dx̂ = dY,
    // which saves three passes over the activations (float64 checks keep the general path).
    if (isOnes(scale!) && !bias && x!.dtype !== 'float64') return [normBackward(g, y!, d, savedInvStd!, x!.shape, axis), undefined];
    const axes = x!.shape.map((_, i) => i).slice(normAxis(axis, x!.shape.length));
    // float64 checks recompute the statistics, which ORT only stashes in float32.
    const mean = x!.dtype === 'float64' ? g.reduceMean(x!, axes, true) : savedMean!;
    const invStd = x!.dtype === 'float64' ? g.div(g.scalar(1, 'float64'), g.sqrt(g.add(g.reduceMean(g.pow(g.sub(x!, mean), 2), axes, true), epsilon))) : savedInvStd!;
    const xHat = g.mul(g.sub(x!, mean), invStd);
    const dxHat = g.mul(d, scale!);
    const grads: (Value | undefined)[] = [normBackward(g, xHat, dxHat, invStd, x!.shape, axis), g.sumTo(g.mul(d, xHat), scale!.shape)];
    if (bias) grads.push(g.sumTo(d, bias.shape));
    return grads;
  },
};

/** dx = σ⁻¹·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) over the normalised axes. */
function normBackward(g: Graph, xHat: Value, dxHat: Value, invStd: Value, shape: readonly number[], axis: number): Value {
  const axes = shape.map((_, i) => i).slice(normAxis(axis, shape.length));
  const meanD = g.reduceMean(dxHat, axes, true);
  const meanDX = g.reduceMean(g.mul(dxHat, xHat), axes, true);
  return g.mul(invStd, g.sub(g.sub(dxHat, meanD), g.mul(xHat, meanDX)));
}

/** A constant whose every element is 1 (the scale g.layerNorm adds when none is given). */
function isOnes(v: Value): boolean {
  return v.kind === 'constant' && v.data !== undefined && Array.prototype.every.call(v.data.data, (e: number | bigint) => Number(e) === 1);
}
