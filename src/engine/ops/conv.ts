// Conv, ConvTranspose and MaxPool with gradients in the formulations engine.md measured fastest on ORT:
// input-gradient = Conv with the kernel flipped and in/out channels swapped (1.0–1.1× the forward at ≥ 16²);
// weight-gradient = im2col by Gather on an NHWC copy + one Gemm (1.15–1.35×), never Conv over transposed operands.
// ORT has no float64 Conv/ConvTranspose, so float64 graphs (gradient checks) expand both into im2col + MatMul.
import { int64 } from '../../tensor.ts';
import { ModelError } from '../../errors.ts';
import type { Graph, Node, Value } from '../graph.ts';
import { ShapeError, formatShape, input, int, ints, sameDType, type ConvAttrs, type OpDef, type ValueType } from './op-def.ts';

const outSize = (size: number, k: number, a: ConvAttrs, i: 0 | 1): number => Math.floor((size + 2 * a.padding[i] - a.dilation[i] * (k - 1) - 1) / a.stride[i]) + 1;

function convAttrs(a: ConvAttrs, kernel: readonly number[]) {
  return {
    kernel_shape: ints(kernel),
    strides: ints(a.stride),
    pads: ints([a.padding[0], a.padding[1], a.padding[0], a.padding[1]]),
    dilations: ints(a.dilation),
    group: int(a.groups),
  };
}

function checkBias(inputs: readonly ValueType[], channels: number, op: string): void {
  const b = inputs[2];
  if (b && (b.shape.length !== 1 || b.shape[0] !== channels)) throw new ShapeError(`${op} bias ${formatShape(b.shape)} must be [${channels}]`);
}

export const conv: OpDef<'Conv'> = {
  infer: (inputs, a) => {
    const dtype = sameDType(inputs, 'Conv');
    const [x, w] = [input(inputs, 0, 'Conv'), input(inputs, 1, 'Conv')];
    if (x.shape.length !== 4 || w.shape.length !== 4) throw new ShapeError(`Conv expects x [N, C, H, W] and weight [O, C/groups, kH, kW], got ${formatShape(x.shape)} and ${formatShape(w.shape)}`);
    const [n, c, h, wd] = x.shape as [number, number, number, number];
    const [o, cg, kh, kw] = w.shape as [number, number, number, number];
    if (cg * a.groups !== c || o % a.groups !== 0) throw new ShapeError(`input ${formatShape(x.shape)} has ${c} channels, weight ${formatShape(w.shape)} with groups=${a.groups} expects ${cg * a.groups}`);
    checkBias(inputs, o, 'Conv');
    const ho = outSize(h, kh, a, 0);
    const wo = outSize(wd, kw, a, 1);
    if (ho < 1 || wo < 1) throw new ShapeError(`kernel ${kh}×${kw} does not fit input ${h}×${wd} with padding ${a.padding.join('×')}`);
    return [{ dtype, shape: [n, o, ho, wo] }];
  },
  lower: (ctx, n) => ctx.node('Conv', n.inputs.map((v) => ctx.name(v)), [ctx.name(n.outputs[0]!)], convAttrs(n.attrs, n.inputs[1]!.shape.slice(2))),
  grad: (g, { inputs: [x, w, b], attrs }, [d]) => {
    if (!d) return [undefined, undefined, undefined];
    const dx = constantWeight(w!) ? convInputGradForConstant(g, d, w!, attrs, [x!.shape[2]!, x!.shape[3]!]) : convTransposeViaConv(g, d, w!, attrs, [x!.shape[2]!, x!.shape[3]!]);
    const dw = correlate(g, x!, d, w!.shape, attrs);
    return b ? [dx, dw, g.reduceSum(d, [0, 2, 3])] : [dx, dw];
  },
  expandFloat64: (g, { inputs: [x, w, b], attrs }) => [withBias(g, convViaIm2col(g, x!, w!, attrs), b)],
};

export const convTranspose: OpDef<'ConvTranspose'> = {
  infer: (inputs, a) => {
    const dtype = sameDType(inputs, 'ConvTranspose');
    const [x, w] = [input(inputs, 0, 'ConvTranspose'), input(inputs, 1, 'ConvTranspose')];
    if (x.shape.length !== 4 || w.shape.length !== 4) throw new ShapeError(`ConvTranspose expects x [N, C, H, W] and weight [C, O/groups, kH, kW], got ${formatShape(x.shape)} and ${formatShape(w.shape)}`);
    const [n, c, h, wd] = x.shape as [number, number, number, number];
    const [ci, og, kh, kw] = w.shape as [number, number, number, number];
    if (ci !== c || c % a.groups !== 0) throw new ShapeError(`input ${formatShape(x.shape)} has ${c} channels, weight ${formatShape(w.shape)} expects ${ci}`);
    checkBias(inputs, og * a.groups, 'ConvTranspose');
    const size = (s: number, k: number, i: 0 | 1): number => (s - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * (k - 1) + a.outputPadding[i] + 1;
    return [{ dtype, shape: [n, og * a.groups, size(h, kh, 0), size(wd, kw, 1)] }];
  },
  lower: (ctx, n) =>
    ctx.node('ConvTranspose', n.inputs.map((v) => ctx.name(v)), [ctx.name(n.outputs[0]!)], { ...convAttrs(n.attrs, n.inputs[1]!.shape.slice(2)), output_padding: ints(n.attrs.outputPadding) }),
  // ConvTranspose is the adjoint of Conv with the same weight: dx = Conv(d, w); dw correlates d's patches with x.
  grad: (g, { inputs: [x, w, b], attrs }, [d]) => {
    if (!d) return [undefined, undefined, undefined];
    const dx = g.conv2d(d, w!, undefined, attrs);
    const dw = correlate(g, d, x!, w!.shape, attrs);
    return b ? [dx, dw, g.reduceSum(d, [0, 2, 3])] : [dx, dw];
  },
  expandFloat64: (g, { inputs: [x, w, b], outputs: [y], attrs }) => [withBias(g, convTransposeViaConv(g, x!, w!, attrs, [y!.shape[2]!, y!.shape[3]!]), b)],
};

/** A weight ORT sees as an initializer (not fed, not computed). */
function constantWeight(w: Value): boolean {
  return w.kind === 'constant' || (w.kind === 'param' && w.trainable !== true);
}

/**
 * Output positions (N·Ho·Wo) from which a frozen stride-1 conv's input-gradient is the flipped-kernel Conv: ORT folds
 * the flip into a constant and runs it, like the forward, on its blocked NCHWc kernels, for one more copy of the
 * kernel. Below it, one ConvTranspose on the stored kernel, which the forward Conv then shares unblocked (onnx.ts).
 * The time saved per byte of kernel copied grows with the positions, so large outputs go first. SD 1.5 inversion step
 * at 512², 1 thread (steady state, scratch runs of bench/inversion.bench.ts's graph): all ConvTranspose 23.6 s, 7.9 GiB
 * peak; flipped from 32² (64² and 32² levels, +0.26 GiB of kernels) 21.3 s, 8.66 GiB; from 16² 19.8 s, 9.6 GiB (over
 * the 10 GB target). Once Gelu and Silu saved only their input (ops/elementwise.ts): from 32² 17.2 s, 7.69 GiB; from
 * 16² 16.6 s, 8.56 GiB (creation 38 s against 5.4 s: ORT folds and reorders the 16² level's flipped kernels); from 8²
 * the kernels would add ~1 GiB more.
 */
export const FLIPPED_CONV_GRAD_MIN_POSITIONS = 256;

/**
 * Conv's input-gradient when the weight is constant (textual inversion: gradients through a frozen model). Large
 * outputs: the flipped-kernel Conv (FLIPPED_CONV_GRAD_MIN_POSITIONS). Otherwise one ConvTranspose on the weight as
 * stored: folding the flip of every kernel was a 13.7 GiB creation peak for SD 1.5 against 7.4 GiB. Falls back to the
 * flipped Conv where ONNX's output_padding cannot express the size (it must be below the stride, and one value for
 * both axes in our builder).
 * @param d [N, O, Ho, Wo] @returns [N, C, outHW]
 */
function convInputGradForConstant(g: Graph, d: Value, w: Value, a: ConvAttrs, outHW: readonly [number, number]): Value {
  const positions = d.shape[0]! * d.shape[2]! * d.shape[3]!;
  if (a.stride[0] === 1 && a.stride[1] === 1 && positions >= FLIPPED_CONV_GRAD_MIN_POSITIONS) return convTransposeViaConv(g, d, w, a, outHW);
  const [kh, kw] = [w.shape[2]!, w.shape[3]!];
  const natural = (i: 0 | 1, k: number): number => (d.shape[2 + i]! - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * (k - 1) + 1;
  const extra = [outHW[0] - natural(0, kh), outHW[1] - natural(1, kw)] as const;
  const fits = extra[0] === extra[1] && extra[0] >= 0 && extra[0] < Math.max(a.stride[0], a.dilation[0]) && extra[1] < Math.max(a.stride[1], a.dilation[1]);
  if (!fits) return convTransposeViaConv(g, d, w, a, outHW);
  return g.convTranspose(d, w, undefined, { stride: [a.stride[0], a.stride[1]], padding: [a.padding[0], a.padding[1]], dilation: [a.dilation[0], a.dilation[1]], groups: a.groups, outputPadding: extra[0] });
}

function withBias(g: Graph, y: Value, b: Value | undefined): Value {
  return b ? g.add(y, g.reshape(b, [b.shape[0]!, 1, 1])) : y;
}

/**
 * Patches of x as rows: [N·Ho·Wo, kH·kW·C] ordered (ky, kx, c), by one Gather on a padded NHWC copy (engine.md).
 * @param x [N, C, H, W]
 */
export function im2col(g: Graph, x: Value, kernel: readonly [number, number], a: ConvAttrs, outHW: readonly [number, number]): Value {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [kh, kw] = kernel;
  const [ho, wo] = outHW;
  // Rows reached beyond the padded input (possible when the caller asks for more output) read zeros via extra pad.
  const needH = (ho - 1) * a.stride[0] + a.dilation[0] * (kh - 1) + 1;
  const needW = (wo - 1) * a.stride[1] + a.dilation[1] * (kw - 1) + 1;
  const extraH = Math.max(0, needH - (h + 2 * a.padding[0]));
  const extraW = Math.max(0, needW - (w + 2 * a.padding[1]));
  const padded = g.pad(x, [0, 0, a.padding[0], a.padding[1], 0, 0, a.padding[0] + extraH, a.padding[1] + extraW]);
  const hp = h + 2 * a.padding[0] + extraH;
  const wp = w + 2 * a.padding[1] + extraW;
  const rows = g.reshape(g.transpose(padded, [0, 2, 3, 1]), [n, hp * wp, c]);
  const index: number[] = [];
  for (let oy = 0; oy < ho; oy++)
    for (let ox = 0; ox < wo; ox++)
      for (let ky = 0; ky < kh; ky++)
        for (let kx = 0; kx < kw; kx++) index.push((oy * a.stride[0] + ky * a.dilation[0]) * wp + ox * a.stride[1] + kx * a.dilation[1]);
  const gathered = g.gather(rows, g.constant(int64([index.length], index), 'im2col_index'), 1);
  return g.reshape(gathered, [n * ho * wo, kh * kw * c]);
}

/** Forward conv as im2col + (grouped) MatMul; for float64 checks. */
function convViaIm2col(g: Graph, x: Value, w: Value, a: ConvAttrs): Value {
  const [n, , h, wd] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = w.shape as [number, number, number, number];
  const groups = a.groups;
  const [ho, wo] = [outSize(h, kh, a, 0), outSize(wd, kw, a, 1)];
  const m = n * ho * wo;
  const cols = g.reshape(g.transpose(g.reshape(im2col(g, x, [kh, kw], a, [ho, wo]), [m, kh * kw, groups, cg]), [2, 0, 1, 3]), [groups, m, kh * kw * cg]);
  const weights = g.reshape(g.transpose(g.reshape(w, [groups, o / groups, cg, kh, kw]), [0, 3, 4, 2, 1]), [groups, kh * kw * cg, o / groups]);
  const y = g.matmul(cols, weights); // [G, M, O/G]
  return g.transpose(g.reshape(g.transpose(y, [1, 0, 2]), [n, ho, wo, o]), [0, 3, 1, 2]);
}

/**
 * The adjoint of Conv(·, w): zero-dilate d by the stride, pad by the flipped kernel's reach, then Conv with the kernel
 * flipped and its channel axes swapped. Used for Conv's input-gradient and ConvTranspose in float64 checks.
 * @param d [N, O, Ho, Wo] @param w [O, C/G, kH, kW] @returns [N, C, outHW]
 */
export function convTransposeViaConv(g: Graph, d: Value, w: Value, a: ConvAttrs, outHW: readonly [number, number]): Value {
  const [n, o, ho, wo] = d.shape as [number, number, number, number];
  const [, cg, kh, kw] = w.shape as [number, number, number, number];
  const groups = a.groups;
  let dilated = d;
  if (a.stride[0] > 1 || a.stride[1] > 1) {
    const [sh, sw] = a.stride;
    const spread = g.pad(g.reshape(d, [n, o, ho, 1, wo, 1]), [0, 0, 0, 0, 0, 0, 0, 0, 0, sh - 1, 0, sw - 1]);
    dilated = g.slice(g.reshape(spread, [n, o, ho * sh, wo * sw]), [2, 3], [0, 0], [(ho - 1) * sh + 1, (wo - 1) * sw + 1]);
  }
  const reach = (i: 0 | 1, k: number): number => a.dilation[i] * (k - 1) - a.padding[i];
  const [before0, before1] = [reach(0, kh), reach(1, kw)];
  if (before0 < 0 || before1 < 0) throw new ModelError({ what: `conv gradient with padding ${a.padding.join('×')} larger than the kernel reach is not supported`, where: d.name, fix: 'use padding ≤ dilation·(kernel − 1)' });
  const after0 = outHW[0] + a.dilation[0] * (kh - 1) - dilated.shape[2]! - before0;
  const after1 = outHW[1] + a.dilation[1] * (kw - 1) - dilated.shape[3]! - before1;
  let padded = g.pad(dilated, [0, 0, before0, before1, 0, 0, Math.max(after0, 0), Math.max(after1, 0)]);
  if (after0 < 0 || after1 < 0) padded = g.slice(padded, [2, 3], [0, 0], [padded.shape[2]! + Math.min(after0, 0), padded.shape[3]! + Math.min(after1, 0)]);
  // w [O, C/G, kH, kW] → [C, O/G, kH, kW] with (kH, kW) reversed: reverse the flattened kernel with one Gather.
  const swapped = g.reshape(g.transpose(g.reshape(w, [groups, o / groups, cg, kh * kw]), [0, 2, 1, 3]), [groups * cg, o / groups, kh * kw]);
  const reversed = Array.from({ length: kh * kw }, (_, i) => kh * kw - 1 - i);
  const flipped = g.reshape(g.gather(swapped, g.constant(int64([kh * kw], reversed), 'flip_index'), 2), [groups * cg, o / groups, kh, kw]);
  return g.conv2d(padded, flipped, undefined, { stride: 1, padding: 0, dilation: [a.dilation[0], a.dilation[1]], groups });
}

/**
 * Σ over batch and positions of rows ⊗ patches: the weight-gradient as one (grouped) Gemm.
 * @param patchesOf [N, Cp, H, W] whose conv patches (geometry `a`) line up with `rowsOf` [N, Cr, Ho, Wo]
 * @returns [Cr, Cp/G, kH, kW] (Conv: rows = dY, patches = x; ConvTranspose: rows = x, patches = dY)
 */
function correlate(g: Graph, patchesOf: Value, rowsOf: Value, wShape: readonly number[], a: ConvAttrs): Value {
  const [n, cp] = patchesOf.shape as [number, number];
  const [, cr, ho, wo] = rowsOf.shape as [number, number, number, number];
  const [kh, kw] = wShape.slice(2) as [number, number];
  const groups = a.groups;
  const m = n * ho * wo;
  const cols = g.reshape(g.transpose(g.reshape(im2col(g, patchesOf, [kh, kw], a, [ho, wo]), [m, kh * kw, groups, cp / groups]), [2, 0, 1, 3]), [groups, m, kh * kw * (cp / groups)]);
  const rows = g.reshape(g.transpose(rowsOf, [1, 0, 2, 3]), [groups, cr / groups, m]); // [G, Cr/G, M], M = (n, y, x)
  const dw = g.matmul(rows, cols); // [G, Cr/G, kH·kW·Cp/G]
  return g.transpose(g.reshape(dw, [cr, kh, kw, cp / groups]), [0, 3, 1, 2]);
}

export const maxPool: OpDef<'MaxPool'> = {
  infer: (inputs, { kernel, stride }) => {
    const x = input(inputs, 0, 'MaxPool');
    if (x.shape.length !== 4) throw new ShapeError(`MaxPool expects [N, C, H, W], got ${formatShape(x.shape)}`);
    const size = (s: number, i: 0 | 1): number => Math.floor((s - kernel[i]) / stride[i]) + 1;
    return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, size(x.shape[2]!, 0), size(x.shape[3]!, 1)] }];
  },
  lower: (ctx, n) => ctx.node('MaxPool', [ctx.name(n.inputs[0]!)], [ctx.name(n.outputs[0]!)], { kernel_shape: ints(n.attrs.kernel), strides: ints(n.attrs.stride) }),
  grad: (g, node, [d]) => [d && maxPoolGrad(g, node, d)],
};

/** Arg-mask for non-overlapping windows (kernel = stride, as every SD/VAE pool): the gradient goes to the maxima. */
function maxPoolGrad(g: Graph, { inputs: [x], outputs: [y], attrs: { kernel, stride } }: Node<'MaxPool'>, d: Value): Value {
  const [n, c, h, w] = x!.shape as [number, number, number, number];
  const [ho, wo] = [y!.shape[2]!, y!.shape[3]!];
  const [kh, kw] = kernel;
  if (kh !== stride[0] || kw !== stride[1] || h !== ho * kh || w !== wo * kw) {
    throw new ModelError({ what: `MaxPool gradient needs kernel = stride and a divisible input, got kernel ${kernel.join('×')}, stride ${stride.join('×')}, input ${h}×${w}`, where: y!.name, fix: 'use non-overlapping pooling windows' });
  }
  const blocks = g.reshape(x!, [n, c, ho, kh, wo, kw]);
  const mask = g.cast(g.equal(blocks, g.reshape(y!, [n, c, ho, 1, wo, 1])), x!.dtype);
  const ties = g.reduceSum(mask, [3, 5], true);
  return g.reshape(g.mul(mask, g.div(g.reshape(d, [n, c, ho, 1, wo, 1]), ties)), x!.shape);
}
