// Transformer2DModel and BasicTransformerBlock of the SD UNet (diffusers 0.27 `transformers/transformer_2d.py`,
// `attention.py`, `attention_processor.py` AttnProcessor), with the collage bias of method.md §4 on every
// cross-attention (attn2): S = QKᵀ·d^-½; S[b, :, p, j] += f · M_j · A[p, j] for the conditional batch items, where
// M_j = max over heads and query positions of the unbiased S[b, :, :, j]; plus an optional plain additive logit bias.
import type { Graph, Value } from '../engine/index.ts';
import { float32 } from '../tensor.ts';
import type { BuildContext } from './build-context.ts';
import { groupNorm, linear, conv2d } from './resnet.ts';

/** Name of the graph input holding A [HW, Tk] for cross-attention layers with HW query positions. */
export function collageCoefficientsInputName(queryCount: number): string {
  return `collage_coeff_${queryCount}`;
}
/** Name of the graph input holding f(σ) (shape [1]). */
export const COLLAGE_SCALE_INPUT = 'collage_scale';
/** Name of the graph input of the plain additive logit bias. */
export const LOGIT_BIAS_INPUT = 'key_bias';

/** The collage-bias graph inputs of one UNet graph; a coefficient input per resolution is made on first use. */
export interface CollageBiasInputs {
  /** f(σ) [1]. */
  readonly scale: Value;
  /** [B, 1, 1, 1] constant: 1 for conditional batch items (the bias applies), 0 for unconditional ones. */
  readonly conditional: Value;
  /** A [HW, Tk] for `queryCount` = HW (graph input `collage_coeff_<HW>`). */
  coefficients(queryCount: number): Value;
}

/** Additive terms on the cross-attention logits; absent members add no node at all. */
export interface CrossAttentionBias {
  /** [B, Tk] (same for every head and query) or anything broadcastable to [B, heads, HW, Tk], added after scaling. */
  readonly logitBias?: Value;
  readonly collage?: CollageBiasInputs;
}

/**
 * Makes the collage-bias inputs: `collage_scale` [1] and, lazily, `collage_coeff_<HW>` [HW, textLength].
 * @param conditional per batch item, whether it is a conditional (prompted) item; for classifier-free guidance in
 *   diffusers' order [uncond, cond] that is [false, true]
 */
export function createCollageBiasInputs(g: Graph, conditional: readonly boolean[], textLength: number): CollageBiasInputs {
  const scale = g.input(COLLAGE_SCALE_INPUT, 'float32', [1]);
  const mask = g.constant(float32([conditional.length, 1, 1, 1], conditional.map((c) => (c ? 1 : 0))), 'collage_conditional');
  const byResolution = new Map<number, Value>();
  return {
    scale,
    conditional: mask,
    coefficients(queryCount) {
      let v = byResolution.get(queryCount);
      if (!v) {
        v = g.input(collageCoefficientsInputName(queryCount), 'float32', [queryCount, textLength]);
        byResolution.set(queryCount, v);
      }
      return v;
    },
  };
}

export interface TransformerOptions {
  /** Attention heads (diffusers' `attention_head_dim` config entry, which really counts heads). */
  readonly heads: number;
  /** GroupNorm groups of `norm` (config `norm_num_groups`). */
  readonly groups: number;
  /** proj_in/proj_out as Linear on tokens (SD 2.x) instead of 1×1 convs (SD 1.x). */
  readonly useLinearProjection: boolean;
  /** `transformer_layers_per_block`. @default 1 */
  readonly layers?: number;
  /** Self-attention scores [B, heads, T, T] above this many bytes are computed in query chunks. @default no chunking */
  readonly maxScoreBytes?: number;
}

/**
 * Transformer2DModel (continuous input): GroupNorm (eps 1e-6) → proj_in → BasicTransformerBlock × layers → proj_out,
 * plus the residual. Taps: `in`, `norm.out`, `proj_in.in/out`, `proj_out.in/out`, `out` and the blocks' own.
 * @param x [B, C, H, W]
 * @param context [B, Tk, Dctx] encoder hidden states
 * @returns [B, C, H, W]
 */
export function transformer2d(ctx: BuildContext, x: Value, context: Value, bias: CrossAttentionBias, options: TransformerOptions): Value {
  const { g } = ctx;
  const [b, c, h, w] = x.shape as [number, number, number, number];
  ctx.tap('in', x);
  const normed = ctx.tap('norm.out', groupNorm(ctx, 'norm', x, options.groups, 1e-6));
  const toTokens = (v: Value): Value => g.reshape(g.transpose(v, [0, 2, 3, 1]), [b, h * w, c]);
  const toImage = (v: Value): Value => g.transpose(g.reshape(v, [b, h, w, c]), [0, 3, 1, 2]);
  let tokens: Value;
  if (options.useLinearProjection) {
    tokens = ctx.tap('proj_in.out', linear(ctx, 'proj_in', ctx.tap('proj_in.in', toTokens(normed)), c));
  } else {
    tokens = toTokens(ctx.tap('proj_in.out', conv2d(ctx, 'proj_in', normed, c, 1)));
  }
  for (let i = 0; i < (options.layers ?? 1); i++) {
    tokens = g.scope(`transformer_blocks.${i}`, () => basicTransformerBlock(ctx, tokens, context, bias, options.heads, options.maxScoreBytes));
  }
  let projected: Value;
  if (options.useLinearProjection) {
    projected = toImage(ctx.tap('proj_out.out', linear(ctx, 'proj_out', ctx.tap('proj_out.in', tokens), c)));
  } else {
    projected = ctx.tap('proj_out.out', conv2d(ctx, 'proj_out', toImage(tokens), c, 1));
  }
  return ctx.tap('out', g.add(projected, x));
}

/**
 * BasicTransformerBlock: x += attn1(norm1(x)); x += attn2(norm2(x), context); x += ff(norm3(x)).
 * @param x [B, T, C] @param context [B, Tk, Dctx] @returns [B, T, C]
 */
export function basicTransformerBlock(ctx: BuildContext, x: Value, context: Value, bias: CrossAttentionBias, heads: number, maxScoreBytes = Infinity): Value {
  const { g } = ctx;
  ctx.tap('in', x);
  const n1 = ctx.tap('norm1.out', layerNorm(ctx, 'norm1', x));
  let h = g.add(g.scope('attn1', () => attentionLayer(ctx, n1, n1, heads, {}, maxScoreBytes)), x);
  const n2 = ctx.tap('norm2.out', layerNorm(ctx, 'norm2', h));
  h = g.add(g.scope('attn2', () => attentionLayer(ctx, n2, context, heads, bias)), h);
  const n3 = ctx.tap('norm3.out', layerNorm(ctx, 'norm3', h));
  h = g.add(g.scope('ff', () => geluFeedForward(ctx, n3)), h);
  return ctx.tap('out', h);
}

function layerNorm(ctx: BuildContext, name: string, x: Value): Value {
  const c = x.shape[x.shape.length - 1]!;
  return ctx.g.scope(name, () => ctx.g.layerNorm(x, ctx.weight('weight', [c]), ctx.weight('bias', [c]), 1e-5));
}

/** FeedForward with GEGLU: net.0.proj → (hidden, gate) halves → hidden·gelu(gate) → net.2. @param x [B, T, C] */
function geluFeedForward(ctx: BuildContext, x: Value): Value {
  const { g } = ctx;
  const c = x.shape[2]!;
  const inner = 4 * c;
  ctx.tap('in', x);
  const projected = g.scope('net.0', () => linear(ctx, 'proj', x, 2 * inner));
  const [hidden, gate] = g.split(projected, 2, [inner, inner]) as [Value, Value];
  return ctx.tap('out', linear(ctx, 'net.2', g.mul(hidden, g.gelu(gate)), c));
}

/**
 * diffusers Attention with AttnProcessor (scope it as `attn1`/`attn2`): to_q (no bias), to_k, to_v (no bias), heads of width C/heads, scale
 * d^-½, to_out.0 (with bias). `upcast_attention` is a no-op here: everything is float32 already.
 * @param x [B, T, C] queries' source @param context [B, Tk, Dctx] keys' and values' source (x itself for attn1)
 * @returns [B, T, C]
 */
export function attentionLayer(ctx: BuildContext, x: Value, context: Value, heads: number, bias: CrossAttentionBias, maxScoreBytes = Infinity): Value {
  const { g } = ctx;
  const c = x.shape[2]!;
  ctx.tap('in', x);
  const q = linear(ctx, 'to_q', x, c, false);
  const k = linear(ctx, 'to_k', context, c, false);
  const v = linear(ctx, 'to_v', context, c, false);
  let out: Value;
  if (bias.collage) out = collageAttention(g, q, k, v, heads, bias.collage, bias.logitBias);
  else {
    const logitBias = bias.logitBias && bias.logitBias.shape.length === 2 ? g.reshape(bias.logitBias, [bias.logitBias.shape[0]!, 1, 1, bias.logitBias.shape[1]!]) : bias.logitBias;
    const perKey = !logitBias || logitBias.shape[2] === 1;
    out = perKey ? chunkedAttention(g, q, k, v, heads, logitBias, maxScoreBytes) : g.attention(q, k, v, { heads, bias: logitBias! });
  }
  return ctx.tap('out', g.scope('to_out', () => linear(ctx, '0', out, c)));
}

/**
 * Attention whose backward recomputes its scores in query chunks, so that one chunk's [B, heads, chunk, Tk] stays
 * under `maxScoreBytes` (diffusers' sliced attention): the same result, a fraction of the backward's peak memory at
 * large self-attentions; the fused forward stays one node.
 * @param q [B, T, C] @param k,v [B, Tk, C] @param logitBias [B, 1, 1, Tk] or none @returns [B, T, C]
 */
function chunkedAttention(g: Graph, q: Value, k: Value, v: Value, heads: number, logitBias: Value | undefined, maxScoreBytes: number): Value {
  const [b, t] = q.shape as [number, number];
  // g.attention drops a chunk of all queries (and the Infinity of no limit).
  const queryChunk = Math.ceil(t / Math.ceil((b * heads * t * k.shape[1]! * 4) / maxScoreBytes));
  return g.attention(q, k, v, { heads, queryChunk, ...(logitBias ? { bias: logitBias } : {}) });
}

/**
 * Attention with the collage bias, from primitives because M needs the unbiased logits: one QKᵀ serves both.
 * @param q [B, HW, C] @param k,v [B, Tk, C] @returns [B, HW, C]
 */
function collageAttention(g: Graph, q: Value, k: Value, v: Value, heads: number, collage: CollageBiasInputs, logitBias: Value | undefined): Value {
  const [b, hw, c] = q.shape as [number, number, number];
  const tk = k.shape[1]!;
  const d = c / heads;
  const qh = g.transpose(g.reshape(q, [b, hw, heads, d]), [0, 2, 1, 3]);
  const kt = g.transpose(g.reshape(k, [b, tk, heads, d]), [0, 2, 3, 1]);
  const vh = g.transpose(g.reshape(v, [b, tk, heads, d]), [0, 2, 1, 3]);
  const scores = g.mul(g.matmul(qh, kt), 1 / Math.sqrt(d)); // S [B, heads, HW, Tk]
  // M [B, 1, 1, Tk] from the unedited S: over queries, then heads (one ReduceMax over both axes measured 7 ms vs 4 ms
  // for the two at 96² latents, 5 heads, 16 threads)
  const maxima = g.reduceMax(g.reduceMax(scores, [2], true), [1], true);
  const weight = g.mul(maxima, g.mul(g.reshape(collage.scale, [1, 1, 1, 1]), collage.conditional)); // f·M, 0 for uncond
  let logits = g.add(scores, g.mul(weight, g.reshape(collage.coefficients(hw), [1, 1, hw, tk])));
  if (logitBias) logits = g.add(logits, logitBias.shape.length === 2 ? g.reshape(logitBias, [b, 1, 1, tk]) : logitBias);
  const out = g.matmul(g.softmax(logits, -1), vh); // [B, heads, HW, d]
  return g.reshape(g.transpose(out, [0, 2, 1, 3]), [b, hw, c]);
}
