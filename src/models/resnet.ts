// Resnet and resampling blocks shared by the UNet and the VAE: diffusers 0.27 `models/resnet.py` (ResnetBlock2D,
// time_embedding_norm "default", pre-norm, SiLU), `models/downsampling.py` (Downsample2D) and `models/upsampling.py`
// (Upsample2D). Scopes are the caller's; weight names below are relative (`norm1.weight`, `conv_shortcut.bias`, ...).
import type { Value } from '../engine/index.ts';
import type { BuildContext } from './build-context.ts';

export interface ResnetOptions {
  /** Output channels (conv1/conv2); a 1×1 `conv_shortcut` is added when it differs from the input's. */
  readonly outChannels: number;
  /** GroupNorm groups of norm1 and norm2 (config `norm_num_groups`). */
  readonly groups: number;
  /** GroupNorm epsilon (UNet `norm_eps` 1e-5; the VAE uses 1e-6). */
  readonly eps: number;
  /** The residual sum is divided by this (config `resnet_out_scale_factor`). @default 1 */
  readonly outputScaleFactor?: number;
}

/** GroupNorm with the scope's `<name>.weight`/`<name>.bias`. @param x [B, C, H, W] */
export function groupNorm(ctx: BuildContext, name: string, x: Value, groups: number, eps: number): Value {
  const c = x.shape[1]!;
  return ctx.g.scope(name, () => ctx.g.groupNorm(x, groups, ctx.weight('weight', [c]), ctx.weight('bias', [c]), eps));
}

/** torch.nn.Conv2d `<name>.weight` [Cout, Cin, k, k] + `<name>.bias`. @param x [B, Cin, H, W] */
export function conv2d(ctx: BuildContext, name: string, x: Value, outChannels: number, kernel: number, stride = 1, padding = (kernel - 1) / 2): Value {
  const cin = x.shape[1]!;
  return ctx.g.scope(name, () => ctx.g.conv2d(x, ctx.weight('weight', [outChannels, cin, kernel, kernel]), ctx.weight('bias', [outChannels]), { stride, padding }));
}

/** torch.nn.Linear `<name>.weight` [out, in] (+ `<name>.bias` [out]). @param x [..., in] */
export function linear(ctx: BuildContext, name: string, x: Value, outFeatures: number, bias = true): Value {
  const inFeatures = x.shape[x.shape.length - 1]!;
  return ctx.g.scope(name, () => ctx.g.linear(x, ctx.weight('weight', [outFeatures, inFeatures]), bias ? ctx.weight('bias', [outFeatures]) : undefined));
}

/**
 * ResnetBlock2D: GroupNorm → SiLU → conv1 (+ time_emb_proj(temb)) → GroupNorm → SiLU → conv2, plus the (1×1 conv)
 * shortcut, over `outputScaleFactor`. Dropout is the identity (inference and our training both use 0).
 * @param x [B, Cin, H, W]
 * @param activatedTemb [B, T] the time embedding already passed through SiLU (diffusers applies SiLU inside every
 *   resnet; the UNet computes it once), or undefined for the VAE's resnets, which have no `time_emb_proj`
 * @returns [B, outChannels, H, W]
 */
export function resnetBlock(ctx: BuildContext, x: Value, activatedTemb: Value | undefined, options: ResnetOptions): Value {
  const { g } = ctx;
  const cin = x.shape[1]!;
  const cout = options.outChannels;
  ctx.tap('in', x);
  let h = conv2d(ctx, 'conv1', g.silu(groupNorm(ctx, 'norm1', x, options.groups, options.eps)), cout, 3);
  if (activatedTemb) {
    const t = linear(ctx, 'time_emb_proj', activatedTemb, cout);
    h = g.add(h, g.reshape(t, [t.shape[0]!, cout, 1, 1]));
  }
  h = conv2d(ctx, 'conv2', g.silu(groupNorm(ctx, 'norm2', h, options.groups, options.eps)), cout, 3);
  const shortcut = cin === cout ? x : conv2d(ctx, 'conv_shortcut', x, cout, 1);
  let out = g.add(shortcut, h);
  const scale = options.outputScaleFactor ?? 1;
  if (scale !== 1) out = g.div(out, scale);
  return ctx.tap('out', out);
}

/**
 * Downsample2D with a conv: 3×3, stride 2, `conv.weight`/`conv.bias` (scope it as `downsamplers.0`).
 * @param padding 1 for the UNet (`downsample_padding`); 0 for the VAE, which pads right/bottom by one first
 * @param x [B, C, H, W] @returns [B, C, H/2, W/2]
 */
export function downsample(ctx: BuildContext, x: Value, padding: number): Value {
  const c = x.shape[1]!;
  // diffusers: with padding 0 the input is padded (0, 1, 0, 1) = right and bottom only, so H/2 stays exact
  const input = padding === 0 ? ctx.g.pad(x, [0, 0, 0, 0, 0, 0, 1, 1]) : x;
  return conv2d(ctx, 'conv', input, c, 3, 2, padding);
}

/**
 * Upsample2D with a conv: nearest ×2, then a 3×3 `conv` (scope it as `upsamplers.0`).
 * @param x [B, C, H, W] @returns [B, C, 2H, 2W]
 */
export function upsample(ctx: BuildContext, x: Value): Value {
  return conv2d(ctx, 'conv', ctx.g.resizeNearest2x(x), x.shape[1]!, 3);
}
