// AutoencoderKL (diffusers 0.27 `autoencoders/autoencoder_kl.py`, `autoencoders/vae.py`): the encoder to the diagonal
// Gaussian (mean, logvar, a sample from given noise) and the decoder, as two graphs. scaling_factor stays outside,
// as in diffusers. Scopes are the state-dict prefixes (`encoder.down_blocks.0.resnets.0`, `decoder.mid_block.attentions.0`).
import type { Graph, Value } from '../engine/index.ts';
import { InputError, ModelError, type Problem } from '../errors.ts';
import type { AutoencoderKLConfig } from '../io/index.ts';
import { BuildContext, type BuildContextOptions } from './build-context.ts';
import { conv2d, downsample, groupNorm, resnetBlock, upsample } from './resnet.ts';
import { vaeAttention } from './vae-attention.ts';
import { ModelWeights, type WeightSource } from './weights.ts';

/** Block types the VAE builder knows (all that SD 1.x/2.x VAEs use). */
export const VAE_DOWN_BLOCK_TYPES = ['DownEncoderBlock2D'] as const;
export const VAE_UP_BLOCK_TYPES = ['UpDecoderBlock2D'] as const;

/** diffusers' VAE resnets and attention use eps 1e-6 (not the UNet's norm_eps). */
const VAE_EPS = 1e-6;
/** DiagonalGaussianDistribution clamps logvar to this range. */
const LOGVAR_MIN = -30;
const LOGVAR_MAX = 20;

export interface VaeBuildOptions extends BuildContextOptions {
  /** Batch size B of the static graph. @default 1 */
  readonly batch?: number;
  /** Which weights become trainable graph inputs. @default none */
  readonly trainable?: boolean | ((name: string) => boolean);
}

export interface VaeEncoderOptions extends VaeBuildOptions {
  /** Image height and width in px (multiples of the VAE scale factor). */
  readonly heightPx: number;
  readonly widthPx: number;
  /** Also take `noise` [B, latent_channels, hLat, wLat] and output `latent_sample` = mean + std·noise. @default false */
  readonly sample?: boolean;
}

export interface VaeDecoderOptions extends VaeBuildOptions {
  /** Latent height and width in latent px. */
  readonly heightLatPx: number;
  readonly widthLatPx: number;
}

/** Graph values of the encoder (also graph outputs under the snake_case names). */
export interface VaeEncoderOutputs {
  /** `image` [B, in_channels, H, W] in [-1, 1]. */
  readonly image: Value;
  /** `latent_mean` [B, latent_channels, hLat, wLat] (unscaled: multiply by scaling_factor for the UNet). */
  readonly mean: Value;
  /** `latent_logvar` [B, latent_channels, hLat, wLat], clamped to [-30, 20]. */
  readonly logvar: Value;
  /** `latent_std` = exp(logvar / 2) and `latent_var` = exp(logvar). */
  readonly std: Value;
  readonly variance: Value;
  /** With `sample`: the `noise` input and `latent_sample` = mean + std·noise. */
  readonly noise?: Value;
  readonly sample?: Value;
}

export interface VaeDecoderOutputs {
  /** `latents` [B, latent_channels, hLat, wLat] (already divided by scaling_factor). */
  readonly latents: Value;
  /** `sample` [B, out_channels, H, W], images in about [-1, 1]. */
  readonly sample: Value;
}

/** Image px per latent px: 2^(len(block_out_channels) − 1) (8 for SD). */
export function vaeScaleFactor(config: AutoencoderKLConfig): number {
  return 2 ** (config.block_out_channels.length - 1);
}

/**
 * Builds the AutoencoderKL encoder + quant_conv + DiagonalGaussianDistribution into `g`.
 * @throws ModelError for an unsupported block type, InputError for a bad size, ModelError (all at once) for missing/wrong-shaped/unused weights
 */
export function buildVaeEncoder(g: Graph, config: AutoencoderKLConfig, source: WeightSource, options: VaeEncoderOptions): VaeEncoderOutputs {
  checkVaeConfig(config);
  const factor = vaeScaleFactor(config);
  checkSize([options.heightPx, options.widthPx], factor, 'px', `a multiple of ${factor}`);
  const ctx = context(g, source, options, (n) => n.startsWith('decoder.') || n.startsWith('post_quant_conv.'));
  const batch = options.batch ?? 1;
  const latentChannels = config.latent_channels;
  const image = g.input('image', 'float32', [batch, config.in_channels, options.heightPx, options.widthPx]);
  const encoded = g.scope('encoder', () => ctx.tap('out', encoder(ctx, config, image)));
  const moments = tapAs(ctx, 'quant_conv', conv2d(ctx, 'quant_conv', encoded, 2 * latentChannels, 1));
  const [mean, rawLogvar] = g.split(moments, 1, [latentChannels, latentChannels]) as [Value, Value];
  const logvar = g.where(g.less(rawLogvar, LOGVAR_MIN), g.scalar(LOGVAR_MIN), g.where(g.greater(rawLogvar, LOGVAR_MAX), g.scalar(LOGVAR_MAX), rawLogvar));
  const std = g.exp(g.mul(logvar, 0.5));
  const variance = g.exp(logvar);
  g.output('latent_mean', mean);
  g.output('latent_logvar', logvar);
  g.output('latent_std', std);
  g.output('latent_var', variance);
  let sampled: { noise: Value; sample: Value } | undefined;
  if (options.sample) {
    const noise = g.input('noise', 'float32', mean.shape);
    sampled = { noise, sample: g.output('latent_sample', g.add(mean, g.mul(std, noise))) };
  }
  ctx.finish('AutoencoderKL encoder');
  return { image, mean, logvar, std, variance, ...sampled };
}

/**
 * Builds post_quant_conv + the AutoencoderKL decoder into `g`: `latents` → `sample`.
 * @throws ModelError for an unsupported block type, InputError for a bad size, ModelError (all at once) for missing/wrong-shaped/unused weights
 */
export function buildVaeDecoder(g: Graph, config: AutoencoderKLConfig, source: WeightSource, options: VaeDecoderOptions): VaeDecoderOutputs {
  checkVaeConfig(config);
  checkSize([options.heightLatPx, options.widthLatPx], 1, 'latent px', 'a positive integer');
  const ctx = context(g, source, options, (n) => n.startsWith('encoder.') || n.startsWith('quant_conv.'));
  const batch = options.batch ?? 1;
  const latentChannels = config.latent_channels;
  const latents = g.input('latents', 'float32', [batch, latentChannels, options.heightLatPx, options.widthLatPx]);
  const z = tapAs(ctx, 'post_quant_conv', conv2d(ctx, 'post_quant_conv', latents, latentChannels, 1));
  const sample = g.output('sample', g.scope('decoder', () => ctx.tap('out', decoder(ctx, config, z))));
  ctx.finish('AutoencoderKL decoder');
  return { latents, sample };
}

/** Taps `value` as `<scope>.<module>.out`. */
function tapAs(ctx: BuildContext, module: string, value: Value): Value {
  return ctx.g.scope(module, () => ctx.tap('out', value));
}

function context(g: Graph, source: WeightSource, options: VaeBuildOptions, otherHalf: (name: string) => boolean): BuildContext {
  const weights = new ModelWeights(source, { ignore: otherHalf, ...(options.trainable === undefined ? {} : { trainable: options.trainable }) });
  return new BuildContext(g, weights, options.taps === undefined ? {} : { taps: options.taps });
}

/** Encoder: conv_in, DownEncoderBlock2D × n (downsampling all but the last), mid block, norm, SiLU, conv_out. */
function encoder(ctx: BuildContext, config: AutoencoderKLConfig, image: Value): Value {
  const { g } = ctx;
  const channels = config.block_out_channels;
  const groups = config.norm_num_groups;
  let h = tapAs(ctx, 'conv_in', conv2d(ctx, 'conv_in', image, channels[0]!, 3));
  channels.forEach((out, i) => {
    h = g.scope(`down_blocks.${i}`, () => {
      let x = h;
      for (let j = 0; j < config.layers_per_block; j++) x = g.scope(`resnets.${j}`, () => resnetBlock(ctx, x, undefined, { outChannels: out, groups, eps: VAE_EPS }));
      if (i < channels.length - 1) x = g.scope('downsamplers.0', () => downsample(ctx, x, 0));
      return ctx.tap('out', x);
    });
  });
  h = g.scope('mid_block', () => midBlock(ctx, h, groups));
  const activated = g.silu(groupNorm(ctx, 'conv_norm_out', h, groups, VAE_EPS));
  return conv2d(ctx, 'conv_out', activated, 2 * config.latent_channels, 3);
}

/** Decoder: conv_in, mid block, UpDecoderBlock2D × n (reversed channels, layers_per_block + 1 resnets), norm, SiLU, conv_out. */
function decoder(ctx: BuildContext, config: AutoencoderKLConfig, z: Value): Value {
  const { g } = ctx;
  const reversed = [...config.block_out_channels].reverse();
  const groups = config.norm_num_groups;
  let h = tapAs(ctx, 'conv_in', conv2d(ctx, 'conv_in', z, reversed[0]!, 3));
  h = g.scope('mid_block', () => midBlock(ctx, h, groups));
  reversed.forEach((out, i) => {
    h = g.scope(`up_blocks.${i}`, () => {
      let x = h;
      for (let j = 0; j <= config.layers_per_block; j++) x = g.scope(`resnets.${j}`, () => resnetBlock(ctx, x, undefined, { outChannels: out, groups, eps: VAE_EPS }));
      if (i < reversed.length - 1) x = g.scope('upsamplers.0', () => upsample(ctx, x));
      return ctx.tap('out', x);
    });
  });
  const activated = g.silu(groupNorm(ctx, 'conv_norm_out', h, groups, VAE_EPS));
  return conv2d(ctx, 'conv_out', activated, config.out_channels, 3);
}

/** UNetMidBlock2D without time embedding: resnet, single-head attention, resnet. */
function midBlock(ctx: BuildContext, x: Value, groups: number): Value {
  const { g } = ctx;
  const c = x.shape[1]!;
  const options = { outChannels: c, groups, eps: VAE_EPS };
  let h = g.scope('resnets.0', () => resnetBlock(ctx, x, undefined, options));
  h = g.scope('attentions.0', () => vaeAttention(ctx, h, groups, VAE_EPS));
  h = g.scope('resnets.1', () => resnetBlock(ctx, h, undefined, options));
  return ctx.tap('out', h);
}

/**
 * Checks the config before building: known block types, list lengths that agree (naming both fields), SiLU.
 * @throws ModelError listing every problem
 */
export function checkVaeConfig(config: AutoencoderKLConfig): void {
  const problems = vaeConfigProblems(config);
  if (problems.length > 0) throw new ModelError(problems);
}

/** Every problem of a VAE config that stops a build. @param where the config file, for messages */
export function vaeConfigProblems(config: AutoencoderKLConfig, where = 'vae/config.json'): Problem[] {
  const problems: Problem[] = [];
  const blockTypes = (field: 'down_block_types' | 'up_block_types', supported: readonly string[]): void => {
    const types = config[field];
    types.forEach((t, i) => {
      if (!supported.includes(t)) problems.push({ what: `unsupported block type "${t}"`, where: `${where} → ${field}[${i}]`, fix: `use one of ${supported.join(', ')}` });
    });
    if (types.length !== config.block_out_channels.length) {
      problems.push({ what: `${field} has ${types.length} entries but block_out_channels has ${config.block_out_channels.length}`, where: `${where} → ${field}, block_out_channels`, fix: 'give one block type per entry of block_out_channels' });
    }
  };
  blockTypes('down_block_types', VAE_DOWN_BLOCK_TYPES);
  blockTypes('up_block_types', VAE_UP_BLOCK_TYPES);
  if (config.act_fn !== 'silu') problems.push({ what: `act_fn "${config.act_fn}" is not supported`, where: `${where} → act_fn`, fix: 'use "silu" (every SD VAE does)' });
  for (const c of config.block_out_channels) {
    if (c % config.norm_num_groups !== 0) problems.push({ what: `block_out_channels entry ${c} does not split into norm_num_groups ${config.norm_num_groups}`, where: `${where} → block_out_channels, norm_num_groups`, fix: 'use channel counts divisible by norm_num_groups' });
  }
  return problems;
}

function checkSize(size: readonly number[], multiple: number, unit: string, expected: string): void {
  const bad = size.filter((s) => !Number.isInteger(s) || s <= 0 || s % multiple !== 0);
  if (bad.length > 0) throw new InputError({ what: `size ${size.join('×')} ${unit} is not ${expected}`, where: 'VAE build options', fix: `use sizes that are ${expected}` });
}
