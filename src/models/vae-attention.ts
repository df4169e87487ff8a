// The VAE mid-block self-attention (diffusers 0.27 `Attention` with `_from_deprecated_attn_block=True`, AttnProcessor):
// GroupNorm over [B, C, H, W], one head of width C over the H·W positions, to_out.0, plus the residual.
import type { Value } from '../engine/index.ts';
import type { BuildContext } from './build-context.ts';
import { groupNorm, linear } from './resnet.ts';

/** Weight names of the two layouts: diffusers' current one, and the old one that diffusers renames on load. */
const NEW_NAMES = { q: 'to_q', k: 'to_k', v: 'to_v', out: 'to_out.0' } as const;
const OLD_NAMES = { q: 'query', k: 'key', v: 'value', out: 'proj_attn' } as const;

/**
 * Single-head spatial self-attention with residual; weight names are picked from what the weights hold (`to_q…` or
 * the old `query/key/value/proj_attn`), so either checkpoint loads without renaming.
 * @param x [B, C, H, W] @returns [B, C, H, W]
 */
export function vaeAttention(ctx: BuildContext, x: Value, groups: number, eps: number): Value {
  const { g } = ctx;
  const [b, c, h, w] = x.shape as [number, number, number, number];
  const names = ctx.weights.source.has(g.scoped(`${OLD_NAMES.q}.weight`)) ? OLD_NAMES : NEW_NAMES;
  ctx.tap('in', x);
  const normed = groupNorm(ctx, 'group_norm', x, groups, eps);
  const tokens = g.transpose(g.reshape(normed, [b, c, h * w]), [0, 2, 1]);
  const [q, k, v] = [names.q, names.k, names.v].map((n) => linear(ctx, n, tokens, c)) as [Value, Value, Value];
  const attended = linear(ctx, names.out, g.attention(q, k, v, { heads: 1 }), c);
  const back = g.reshape(g.transpose(attended, [0, 2, 1]), [b, c, h, w]);
  return ctx.tap('out', g.add(back, x));
}
