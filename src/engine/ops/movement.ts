// Movement ops: Reshape, Transpose, Concat, Slice, Split, Gather (and its gradient ScatterAdd), Expand, Pad, nearest
// ×2 Resize. Shapes are static, so every shape-like operand is an int64 initializer written at lowering.
import { numel } from '../../tensor.ts';
import type { Graph, Value } from '../graph.ts';
import { ShapeError, broadcastShapes, formatShape, input, int, lowerDirect, noGradient, normAxis, str, type OpAttrs, type OpDef } from './op-def.ts';

export const reshape: OpDef<'Reshape'> = {
  infer: (inputs, { shape }) => {
    const x = input(inputs, 0, 'Reshape');
    if (numel(shape) !== numel(x.shape)) throw new ShapeError(`cannot reshape ${formatShape(x.shape)} (${numel(x.shape)} elements) to ${formatShape(shape)} (${numel(shape)})`);
    return [{ dtype: x.dtype, shape }];
  },
  lower: (ctx, n) => ctx.node('Reshape', [ctx.name(n.inputs[0]!), ctx.int64(n.attrs.shape)], [ctx.name(n.outputs[0]!)]),
  grad: (g, { inputs: [x] }, [d]) => [d && g.reshape(d, x!.shape)],
};

export const transpose: OpDef<'Transpose'> = {
  infer: (inputs, { perm }) => {
    const x = input(inputs, 0, 'Transpose');
    if (perm.length !== x.shape.length || [...perm].sort().some((p, i) => p !== i)) throw new ShapeError(`perm [${perm.join(', ')}] is not a permutation of rank ${x.shape.length}`);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }];
  },
  lower: lowerDirect('Transpose', (n) => ({ perm: { kind: 'ints', value: n.attrs.perm } })),
  // The inverse permutation undoes the move.
  grad: (g, { attrs: { perm } }, [d]) => {
    const inverse: number[] = [];
    perm.forEach((p, i) => (inverse[p] = i));
    return [d && g.transpose(d, inverse)];
  },
};

export const concat: OpDef<'Concat'> = {
  infer: (inputs, { axis }) => {
    const first = input(inputs, 0, 'Concat');
    const a = normAxis(axis, first.shape.length);
    let total = 0;
    for (const v of inputs) {
      if (v.dtype !== first.dtype || v.shape.length !== first.shape.length || v.shape.some((d, i) => i !== a && d !== first.shape[i])) {
        throw new ShapeError(`cannot concatenate ${v.dtype}${formatShape(v.shape)} with ${first.dtype}${formatShape(first.shape)} on axis ${axis}`);
      }
      total += v.shape[a]!;
    }
    return [{ dtype: first.dtype, shape: first.shape.map((d, i) => (i === a ? total : d)) }];
  },
  lower: lowerDirect('Concat', (n) => ({ axis: int(n.attrs.axis) })),
  grad: (g, { inputs, attrs: { axis } }, [d]) => {
    if (!d) return inputs.map(() => undefined);
    const a = normAxis(axis, d.shape.length);
    return g.split(d, a, inputs.map((v) => v.shape[a]!));
  },
};

/** Resolved [start, end) per axis with torch clamping; steps must be positive. */
function sliceBounds(shape: readonly number[], attrs: OpAttrs['Slice']) {
  return attrs.axes.map((axis, i) => {
    const a = normAxis(axis, shape.length);
    const dim = shape[a]!;
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
    const step = attrs.steps[i] ?? 1;
    if (step < 1) throw new ShapeError(`slice step ${step} is not supported (positive steps only)`);
    const start = clamp(attrs.starts[i] ?? 0);
    const end = Math.max(clamp(attrs.ends[i] ?? dim), start);
    return { axis: a, start, end, step, size: Math.ceil((end - start) / step) };
  });
}

export const slice: OpDef<'Slice'> = {
  infer: (inputs, attrs) => {
    const x = input(inputs, 0, 'Slice');
    const shape = [...x.shape];
    for (const b of sliceBounds(x.shape, attrs)) shape[b.axis] = b.size;
    return [{ dtype: x.dtype, shape }];
  },
  lower: (ctx, n) => {
    const bounds = sliceBounds(n.inputs[0]!.shape, n.attrs);
    const ins = [ctx.int64(bounds.map((b) => b.start)), ctx.int64(bounds.map((b) => b.end)), ctx.int64(bounds.map((b) => b.axis)), ctx.int64(bounds.map((b) => b.step))];
    ctx.node('Slice', [ctx.name(n.inputs[0]!), ...ins], [ctx.name(n.outputs[0]!)]);
  },
  // Zero-pad the gradient back to the input's extent (unit steps; strided slices are rebuilt below by pad+reshape).
  grad: (g, { inputs: [x], attrs }, [d]) => {
    if (!d) return [undefined];
    let out = d;
    for (const b of sliceBounds(x!.shape, attrs)) out = padAxisStrided(g, out, b.axis, b.start, b.step, x!.shape[b.axis]!);
    return [out];
  },
};

/** Places `d` (size k on `axis`) at start, start+step, … of a zero tensor of extent `dim` on that axis. */
function padAxisStrided(g: Graph, d: Value, axis: number, start: number, step: number, dim: number): Value {
  const rank = d.shape.length;
  const k = d.shape[axis]!;
  let spread = d;
  if (step > 1) {
    // [.., k, ..] → [.., k, 1, ..] → pad to [.., k, step, ..] → [.., k·step, ..]
    const expanded = g.unsqueeze(d, [axis + 1]);
    const pads = new Array<number>(2 * (rank + 1)).fill(0);
    pads[rank + 1 + axis + 1] = step - 1;
    const padded = g.pad(expanded, pads);
    spread = g.reshape(padded, d.shape.map((s, i) => (i === axis ? k * step : s)));
  }
  const size = spread.shape[axis]!;
  const pads = new Array<number>(2 * rank).fill(0);
  pads[axis] = start;
  const after = dim - start - size;
  if (after >= 0) pads[rank + axis] = after;
  const padded = g.pad(spread, pads);
  return after >= 0 ? padded : g.slice(padded, [axis], [0], [dim]);
}

export const split: OpDef<'Split'> = {
  infer: (inputs, { axis, sizes }) => {
    const x = input(inputs, 0, 'Split');
    const a = normAxis(axis, x.shape.length);
    const total = sizes.reduce((p, s) => p + s, 0);
    if (total !== x.shape[a]) throw new ShapeError(`split sizes [${sizes.join(', ')}] sum to ${total}, axis ${axis} of ${formatShape(x.shape)} has ${x.shape[a]}`);
    return sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === a ? s : d)) }));
  },
  lower: (ctx, n) => ctx.node('Split', [ctx.name(n.inputs[0]!), ctx.int64(n.attrs.sizes)], n.outputs.map((v) => ctx.name(v)), { axis: int(n.attrs.axis) }),
  // Concatenate the pieces' gradients, zeros where a piece was unused.
  grad: (g, { outputs, attrs: { axis } }, ds) => {
    if (ds.every((d) => !d)) return [undefined];
    const parts = outputs.map((o, i) => ds[i] ?? g.expand(g.scalar(0, o.dtype), o.shape));
    return [g.concat(parts, axis)];
  },
};

export const gather: OpDef<'Gather'> = {
  infer: (inputs, { axis }) => {
    const [x, idx] = [input(inputs, 0, 'Gather'), input(inputs, 1, 'Gather')];
    if (idx.dtype !== 'int64') throw new ShapeError(`Gather indices must be int64, got ${idx.dtype}`);
    const a = normAxis(axis, x.shape.length);
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)] }];
  },
  lower: lowerDirect('Gather', (n) => ({ axis: int(n.attrs.axis) })),
  // Scatter-add the gradient rows back to the gathered positions (repeated indices accumulate).
  grad: (g, { inputs: [x, idx], attrs: { axis } }, [d]) => {
    if (!d) return [undefined, undefined];
    const a = normAxis(axis, x!.shape.length);
    const pre = x!.shape.slice(0, a).map((_, i) => i);
    const idxAxes = idx!.shape.map((_, i) => a + i);
    const post = x!.shape.slice(a + 1).map((_, i) => a + idx!.shape.length + i);
    const updates = g.transpose(d, [...idxAxes, ...pre, ...post]);
    const frontPerm = [a, ...pre, ...post.map((_, i) => a + 1 + i)];
    const frontShape = frontPerm.map((p) => x!.shape[p]!);
    const zeros = g.expand(g.scalar(0, d.dtype), frontShape);
    const scattered = g.op('ScatterAdd', [zeros, g.unsqueeze(idx!, [-1]), updates], {});
    const back: number[] = [];
    frontPerm.forEach((p, i) => (back[p] = i));
    return [g.transpose(scattered, back), undefined];
  },
};

export const scatterAdd: OpDef<'ScatterAdd'> = {
  infer: (inputs) => [input(inputs, 0, 'ScatterAdd')],
  lower: lowerDirect('ScatterND', () => ({ reduction: str('add') })),
  grad: noGradient('second-order gradients are not supported'),
};

export const expand: OpDef<'Expand'> = {
  infer: (inputs, { shape }) => {
    const x = input(inputs, 0, 'Expand');
    const out = broadcastShapes(x.shape, shape);
    if (formatShape(out) !== formatShape(shape)) throw new ShapeError(`cannot expand ${formatShape(x.shape)} to ${formatShape(shape)}`);
    return [{ dtype: x.dtype, shape }];
  },
  lower: (ctx, n) => ctx.node('Expand', [ctx.name(n.inputs[0]!), ctx.int64(n.attrs.shape)], [ctx.name(n.outputs[0]!)]),
  grad: (g, { inputs: [x] }, [d]) => [d && g.sumTo(d, x!.shape)],
};

export const pad: OpDef<'Pad'> = {
  infer: (inputs, { pads }) => {
    const x = input(inputs, 0, 'Pad');
    const r = x.shape.length;
    if (pads.length !== 2 * r || pads.some((p) => p < 0)) throw new ShapeError(`pads [${pads.join(', ')}] must be ${2 * r} non-negative numbers for ${formatShape(x.shape)}`);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => d + pads[i]! + pads[r + i]!) }];
  },
  lower: (ctx, n) => ctx.node('Pad', [ctx.name(n.inputs[0]!), ctx.int64(n.attrs.pads)], [ctx.name(n.outputs[0]!)]),
  // The gradient of zero padding is the slice of the un-padded region.
  grad: (g, { inputs: [x], attrs: { pads } }, [d]) => {
    if (!d) return [undefined];
    const axes = x!.shape.map((_, i) => i);
    return [g.slice(d, axes, axes.map((i) => pads[i]!), axes.map((i) => pads[i]! + x!.shape[i]!))];
  },
};

export const resizeNearest: OpDef<'ResizeNearest'> = {
  infer: (inputs, { scale }) => {
    const x = input(inputs, 0, 'ResizeNearest');
    if (x.shape.length !== 4) throw new ShapeError(`nearest resize expects [N, C, H, W], got ${formatShape(x.shape)}`);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i >= 2 ? d * scale : d)) }];
  },
  lower: (ctx, n) => {
    const x = n.inputs[0]!;
    const [b, c, h, w] = x.shape as [number, number, number, number];
    const s = n.attrs.scale;
    if (x.dtype === 'float64') {
      // ORT's Resize has no float64 kernel: broadcast [N, C, H, 1, W, 1] to [N, C, H, s, W, s] instead.
      const t1 = ctx.temp('resize6');
      const t2 = ctx.temp('resize_expand');
      ctx.node('Reshape', [ctx.name(x), ctx.int64([b, c, h, 1, w, 1])], [t1]);
      ctx.node('Expand', [t1, ctx.int64([b, c, h, s, w, s])], [t2]);
      ctx.node('Reshape', [t2, ctx.int64([b, c, h * s, w * s])], [ctx.name(n.outputs[0]!)]);
      return;
    }
    ctx.node('Resize', [ctx.name(x), '', '', ctx.int64([b, c, h * s, w * s])], [ctx.name(n.outputs[0]!)], { mode: str('nearest'), coordinate_transformation_mode: str('asymmetric'), nearest_mode: str('floor') });
  },
  // Each input pixel was copied to an s×s block: sum the block.
  grad: (g, { inputs: [x], attrs: { scale: s } }, [d]) => {
    if (!d) return [undefined];
    const [b, c, h, w] = x!.shape as [number, number, number, number];
    return [g.reduceSum(g.reshape(d, [b, c, h, s, w, s]), [3, 5])];
  },
};
