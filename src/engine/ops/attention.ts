// Softmax and multi-head scaled dot-product attention. The attention backward recomputes the probabilities and uses
// FlashAttention's row term rowsum(dO·O) instead of Σ(dP·P): engine.md "Backward passes on ORT" measured
// self-attention fwd+bwd at 3.35× forward this way (textbook 3.8×; feeding the saved softmax back in was slower).
import type { Graph, Node, Value } from '../graph.ts';
import { ShapeError, broadcastShapes, float, formatShape, input, int, lowerDirect, normAxis, sameDType, type LowerContext, type OpDef } from './op-def.ts';
import { transposeLast } from './matmul.ts';

export const softmax: OpDef<'Softmax'> = {
  infer: (inputs, { axis }) => {
    const x = input(inputs, 0, 'Softmax');
    normAxis(axis, x.shape.length);
    return [x];
  },
  lower: lowerDirect('Softmax', (n) => ({ axis: int(n.attrs.axis) })),
  // dx = y·(d − Σ d·y)
  grad: (g, { outputs: [y], attrs: { axis } }, [d]) => {
    if (!d) return [undefined];
    const row = g.reduceSum(g.mul(d, y!), [axis], true);
    return [g.mul(y!, g.sub(d, row))];
  },
};

/** [B, T, heads·dh] → [B, heads, T, dh] (or [B, heads, dh, T] when `keyT`). */
function heads(g: Graph, x: Value, h: number, keyT = false): Value {
  const [b, t, dim] = x.shape as [number, number, number];
  return g.transpose(g.reshape(x, [b, t, h, dim / h]), keyT ? [0, 2, 3, 1] : [0, 2, 1, 3]);
}

/** [B, heads, T, dh] → [B, T, heads·dh] */
function merge(g: Graph, x: Value): Value {
  const [b, h, t, dh] = x.shape as [number, number, number, number];
  return g.reshape(g.transpose(x, [0, 2, 1, 3]), [b, t, h * dh]);
}

export const attention: OpDef<'Attention'> = {
  infer: (inputs, { heads: h }) => {
    const dtype = sameDType(inputs, 'Attention');
    const [q, k, v] = [input(inputs, 0, 'Attention'), input(inputs, 1, 'Attention'), input(inputs, 2, 'Attention')];
    if (q.shape.length !== 3 || k.shape.length !== 3 || v.shape.length !== 3) throw new ShapeError(`q, k, v must be [B, T, D], got ${formatShape(q.shape)}, ${formatShape(k.shape)}, ${formatShape(v.shape)}`);
    const [b, tq, dq] = q.shape as [number, number, number];
    const [bk, tk, dk] = k.shape as [number, number, number];
    if (bk !== b || v.shape[0] !== b || v.shape[1] !== tk || dk !== dq) throw new ShapeError(`q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)} do not agree`);
    if (dq % h !== 0 || v.shape[2]! % h !== 0) throw new ShapeError(`width ${dq} does not split into ${h} heads`);
    const bias = inputs[3];
    if (bias) {
      const full = [b, h, tq, tk];
      if (formatShape(broadcastShapes(bias.shape, full)) !== formatShape(full)) throw new ShapeError(`bias ${formatShape(bias.shape)} does not broadcast to scores ${formatShape(full)}`);
    }
    return [{ dtype, shape: [b, tq, v.shape[2]!] }];
  },
  lower: lowerAttention,
  grad: attentionGrad,
};

/**
 * Forward-only float32 graphs use com.microsoft MultiHeadAttention (engine.md: 0.80–0.87× the time of the unfused
 * form at SD self-attention sizes). Graphs with a backward pass keep MatMul → scale (+ bias) → Softmax → MatMul,
 * which ORT fuses into FusedMatMul and whose probabilities the backward recomputation shares (common subexpressions).
 */
function lowerAttention(ctx: LowerContext, node: Node<'Attention'>): void {
  const [q, k, v, bias] = node.inputs;
  const h = node.attrs.heads;
  if (ctx.fused && q!.dtype === 'float32') {
    const inputs = [ctx.name(q!), ctx.name(k!), ctx.name(v!)];
    if (bias) inputs.push('', '', fullBias(ctx, bias, [q!.shape[1]!, k!.shape[1]!]));
    ctx.node('MultiHeadAttention', inputs, [ctx.name(node.outputs[0]!)], { num_heads: int(h), scale: float(node.attrs.scale) }, 'com.microsoft');
    return;
  }
  const split = (x: Value, perm: number[], tag: string): string => {
    const [b, t, dim] = x.shape as [number, number, number];
    const r = ctx.temp(`${tag}_4d`);
    const out = ctx.temp(`${tag}_heads`);
    ctx.node('Reshape', [ctx.name(x), ctx.int64([b, t, h, dim / h])], [r]);
    ctx.node('Transpose', [r], [out], { perm: { kind: 'ints', value: perm } });
    return out;
  };
  const qh = split(q!, [0, 2, 1, 3], 'q');
  const kt = split(k!, [0, 2, 3, 1], 'k');
  const vh = split(v!, [0, 2, 1, 3], 'v');
  const slice = (x: string, axis: number, [start, end]: readonly [number, number], tag: string): string => {
    const out = ctx.temp(tag);
    ctx.node('Slice', [x, ctx.int64([start]), ctx.int64([end]), ctx.int64([axis])], [out]);
    return out;
  };
  const ranges = queryChunks(q!.shape[1]!, node.attrs.queryChunk);
  const whole = ranges.length === 1;
  const parts = ranges.map((range) => {
    const scores = ctx.temp('scores');
    const scaled = ctx.temp('scaled');
    ctx.node('MatMul', [whole ? qh : slice(qh, 2, range, 'q_chunk'), kt], [scores]);
    ctx.node('Mul', [scores, ctx.scalar(node.attrs.scale, q!.dtype)], [scaled]);
    let logits = scaled;
    if (bias) {
      logits = ctx.temp('biased');
      const axis = biasQueryAxis(bias, ranges.length);
      ctx.node('Add', [scaled, axis === undefined ? ctx.name(bias) : slice(ctx.name(bias), axis, range, 'bias_chunk')], [logits]);
    }
    const probs = ctx.temp('probs');
    const oh = ctx.temp('out_heads');
    ctx.node('Softmax', [logits], [probs], { axis: int(-1) });
    ctx.node('MatMul', [probs, vh], [oh]);
    return oh;
  });
  let oh = parts[0]!;
  if (parts.length > 1) {
    oh = ctx.temp('out_heads');
    ctx.node('Concat', parts, [oh], { axis: int(2) });
  }
  const ot = ctx.temp('out_t');
  ctx.node('Transpose', [oh], [ot], { perm: { kind: 'ints', value: [0, 2, 1, 3] } });
  const out = node.outputs[0]!;
  ctx.node('Reshape', [ot, ctx.int64(out.shape)], [ctx.name(out)]);
}

/** [start, end) query ranges of at most `chunk` queries each (one range without a chunk). */
function queryChunks(tq: number, chunk: number | undefined): [number, number][] {
  const size = chunk && chunk < tq ? chunk : tq;
  const ranges: [number, number][] = [];
  for (let start = 0; start < tq; start += size) ranges.push([start, Math.min(tq, start + size)]);
  return ranges;
}

/** The bias axis to slice per query chunk: its query axis, when it has one and there are several chunks. */
function biasQueryAxis(bias: Value, chunks: number): number | undefined {
  const axis = bias.shape.length - 2;
  return chunks > 1 && axis >= 0 && bias.shape[axis] !== 1 ? axis : undefined;
}

/** MultiHeadAttention's attention_bias must be [B or 1, heads or 1, Tq, Tk]: pad the rank, expand the last two. */
function fullBias(ctx: LowerContext, bias: Value, [tq, tk]: readonly [number, number]): string {
  const shape4 = [...new Array<number>(4 - bias.shape.length).fill(1), ...bias.shape];
  let name = ctx.name(bias);
  if (bias.shape.length !== 4) {
    const r = ctx.temp('bias_4d');
    ctx.node('Reshape', [name, ctx.int64(shape4)], [r]);
    name = r;
  }
  if (shape4[2] !== tq || shape4[3] !== tk) {
    const e = ctx.temp('bias_full');
    ctx.node('Expand', [name, ctx.int64([shape4[0]!, shape4[1]!, tq, tk])], [e]);
    name = e;
  }
  return name;
}

/**
 * P = softmax(s·QKᵀ + bias) recomputed; dV = (dOᵀ·P)ᵀ; dS = P·(dO·Vᵀ − rowsum(dO·O)) = P·([dO, −row]·[V, 1]ᵀ);
 * dQ = s·dS·K; dK = (s·Qᵀ·dS)ᵀ; dbias = Σ dS over its broadcast axes. With `queryChunk`, P is recomputed one query
 * chunk at a time; the chunks' dKᵀ and dVᵀ add up in head layout, so K's and V's gradients are merged from heads once.
 */
function attentionGrad(g: Graph, node: Node<'Attention'>, [d]: readonly (Value | undefined)[]): (Value | undefined)[] {
  const [q, k, v, bias] = node.inputs;
  if (!d) return node.inputs.map(() => undefined);
  const h = node.attrs.heads;
  const scale = node.attrs.scale;
  const qh = heads(g, q!, h);
  const kh = heads(g, k!, h);
  const vh = heads(g, v!, h);
  const kt = transposeLast(g, kh);
  const dOut = heads(g, d, h);
  const out = heads(g, node.outputs[0]!, h);
  const ones = g.expand(g.scalar(1, vh.dtype), [...vh.shape.slice(0, 3), 1]);
  const vOnesT = transposeLast(g, g.concat([vh, ones], -1));
  const ranges = queryChunks(q!.shape[1]!, node.attrs.queryChunk);
  const whole = ranges.length === 1;
  const biasAxis = bias && biasQueryAxis(bias, ranges.length);
  let dVt: Value | undefined;
  let dKt: Value | undefined;
  const dQs: Value[] = [];
  const dBiases: Value[] = [];
  for (const [start, end] of ranges) {
    const part = (x: Value, axis = 2): Value => (whole ? x : g.slice(x, [axis], [start], [end]));
    const [qc, dOc, oc] = [part(qh), part(dOut), part(out)];
    const scores = g.mul(g.matmul(qc, kt), scale);
    const biasChunk = bias && (biasAxis === undefined ? bias : part(bias, biasAxis));
    const probs = g.softmax(biasChunk ? g.add(scores, biasChunk) : scores, -1);
    // dVᵀ = dOᵀ·P and dKᵀ = s·Qᵀ·dS keep the big [Tq, Tk] operand untransposed: MLAS copies a transposed A operand
    // first (SD 1.5 64² chunk [8, 1024, 4096]: Pᵀ·dO 76 ms, dOᵀ·P 51 ms).
    const dVtc = g.matmul(transposeLast(g, dOc), probs);
    // dP − rowsum(dO·O) as one MatMul of [dO, −row] with [V, 1]: saves a full pass over the [Tq, Tk] scores.
    const row = g.reduceSum(g.mul(dOc, oc), [-1], true);
    const dS = g.mul(probs, g.matmul(g.concat([dOc, g.neg(row)], -1), vOnesT));
    dQs.push(g.mul(g.matmul(dS, kh), scale));
    const dKtc = g.mul(g.matmul(transposeLast(g, qc), dS), scale);
    dVt = dVt ? g.add(dVt, dVtc) : dVtc;
    dKt = dKt ? g.add(dKt, dKtc) : dKtc;
    if (biasChunk) dBiases.push(g.sumTo(dS, biasChunk.shape));
  }
  const dQ = whole ? dQs[0]! : g.concat(dQs, 2);
  // The small transposes back from [B, heads, dh, Tk] fold into merge's.
  const grads: (Value | undefined)[] = [merge(g, dQ), merge(g, transposeLast(g, dKt!)), merge(g, transposeLast(g, dVt!))];
  if (bias) grads.push(dBiases.length === 1 ? dBiases[0] : biasAxis === undefined ? dBiases.reduce((a, b) => g.add(a, b)) : g.concat(dBiases, biasAxis));
  return grads;
}
