// UNet2DConditionModel of Stable Diffusion 1.x/2.x as an engine graph (diffusers 0.27 `unets/unet_2d_condition.py`,
// `unets/unet_2d_blocks.py`, `embeddings.py` Timesteps/TimestepEmbedding): built by looping over the config's block
// types; scopes are diffusers' state-dict prefixes, so weights load by full name. Every cross-attention takes the
// optional collage bias and logit bias of attention.ts; without them the graph has no bias node.
import type { Graph, Value } from '../engine/index.ts';
import { InputError } from '../errors.ts';
import { float32 } from '../tensor.ts';
import { createCollageBiasInputs, transformer2d, LOGIT_BIAS_INPUT, type CollageBiasInputs, type CrossAttentionBias } from './attention.ts';
import { BuildContext, type BuildContextOptions } from './build-context.ts';
import { conv2d, downsample, groupNorm, linear, resnetBlock, upsample } from './resnet.ts';
import { checkUNetConfig, type UNetBuildConfig, type UNetLevels } from './unet-config.ts';
import { ModelWeights, type ModelWeightsOptions, type WeightSource } from './weights.ts';

/** Graph input and output names of a UNet graph. */
export const UNET_INPUTS = { sample: 'sample', timestep: 'timestep', encoderHiddenStates: 'encoder_hidden_states' } as const;
export const UNET_OUTPUT = 'noise_pred';

export interface UNetBuildOptions extends BuildContextOptions, ModelWeightsOptions {
  /** Batch size B (2 for one classifier-free-guidance step). */
  readonly batch: number;
  /** Latent height and width in latent px; divisible by 2^(levels − 1). */
  readonly heightLatPx: number;
  readonly widthLatPx: number;
  /** Text tokens Tk of encoder_hidden_states. @default 77 */
  readonly textLength?: number;
  /**
   * Adds the collage bias (method.md §4) to every cross-attention: inputs `collage_scale` [1] = f(σ) and
   * `collage_coeff_<HW>` [HW, Tk] = A per attention resolution. `conditional[b]` says whether batch item b gets it
   * (diffusers' CFG order [uncond, cond] → [false, true]). @default no collage bias
   */
  readonly collageBias?: { readonly conditional: readonly boolean[] };
  /**
   * Adds the graph input `key_bias` of this shape to every cross-attention's logits (after the d^-½ scaling):
   * [B, Tk] per key, or any shape broadcastable to [B, heads, HW, Tk]. @default none
   */
  readonly logitBiasShape?: readonly number[];
  /** Names the weights' source in the config check's messages. @default weights.path */
  readonly configPath?: string;
  /**
   * A value of this graph to use as encoder_hidden_states [B, Tk, cross_attention_dim] instead of a graph input
   * (textual inversion feeds the text encoder's output straight in, so one graph holds both). @default an input
   */
  readonly encoderHiddenStates?: Value;
  /**
   * Recomputes every resnet and transformer block in the backward pass instead of keeping its activations
   * (diffusers' `enable_gradient_checkpointing`; engine `g.checkpoint`): training and inversion at full size.
   * No effect on a forward-only graph. @default false
   */
  readonly gradientCheckpointing?: boolean;
  /**
   * Self-attention scores [B, heads, HW, HW] above this many bytes are computed in query chunks (diffusers' sliced
   * attention). Off by default: on ORT 1.30 CPU, SD 2.1 at 96² peaked at 7.31 GiB chunked at 512 MiB vs 7.38 GiB
   * unchunked (ORT's memory planning keeps the chunks' buffers), at the same speed. @default no chunking
   */
  readonly maxAttentionScoreBytes?: number;
}

/** The values of a built UNet, for callers that add losses and gradients. */
export interface UNetValues {
  /** [B, in_channels, hLat, wLat] */ readonly sample: Value;
  /** [B] float32 training timestep in [0, 1000), integer or not */ readonly timestep: Value;
  /** [B, Tk, cross_attention_dim] */ readonly encoderHiddenStates: Value;
  /** [B, out_channels, hLat, wLat], graph output `noise_pred` */ readonly noisePred: Value;
  readonly logitBias?: Value;
  readonly collage?: CollageBiasInputs;
}

interface UNetState {
  readonly ctx: BuildContext;
  readonly levels: UNetLevels;
  readonly config: UNetBuildConfig;
  readonly temb: Value;
  readonly context: Value;
  readonly bias: CrossAttentionBias;
  readonly checkpointing: boolean;
  readonly maxScoreBytes: number;
}

/**
 * Builds UNet2DConditionModel.forward(sample, timestep, encoder_hidden_states).sample into `g`.
 * @throws ModelError for an unsupported config (all problems at once) or for missing, wrong-shaped or unused weights
 *   (all at once, by name with the expected shape)
 */
export function buildUNet(g: Graph, config: UNetBuildConfig, weights: WeightSource, options: UNetBuildOptions): UNetValues {
  const levels = checkUNetConfig(config, options.configPath ?? weights.path);
  checkSize(options, levels.channels.length);
  const ctx = new BuildContext(g, new ModelWeights(weights, options), options);
  const tk = options.textLength ?? 77;
  const b = options.batch;
  const sample = g.input(UNET_INPUTS.sample, 'float32', [b, config.in_channels, options.heightLatPx, options.widthLatPx]);
  const timestep = g.input(UNET_INPUTS.timestep, 'float32', [b]);
  const context = options.encoderHiddenStates ?? g.input(UNET_INPUTS.encoderHiddenStates, 'float32', [b, tk, levels.crossAttentionDim[0]!]);
  checkContext(context, [b, tk, levels.crossAttentionDim[0]!]);
  const logitBias = options.logitBiasShape ? g.input(LOGIT_BIAS_INPUT, 'float32', options.logitBiasShape) : undefined;
  const collage = options.collageBias ? createCollageBiasInputs(g, checkConditional(options.collageBias.conditional, b), tk) : undefined;
  const bias: CrossAttentionBias = { ...(logitBias ? { logitBias } : {}), ...(collage ? { collage } : {}) };

  const temb = timeEmbedding(ctx, timestep, config);
  const state: UNetState = { ctx, levels, config, temb: g.silu(temb), context, bias, checkpointing: options.gradientCheckpointing ?? false, maxScoreBytes: options.maxAttentionScoreBytes ?? Infinity };
  let h = ctx.tap('conv_in.out', conv2d(ctx, 'conv_in', sample, levels.channels[0]!, 3));
  const skips: Value[] = [h];
  levels.down.forEach((type, i) => {
    h = g.scope(`down_blocks.${i}`, () => downBlock(state, i, type, h, skips));
  });
  h = g.scope('mid_block', () => midBlock(state, h));
  levels.up.forEach((type, i) => {
    h = g.scope(`up_blocks.${i}`, () => upBlock(state, i, type, h, skips));
  });
  h = ctx.tap('conv_norm_out.out', groupNorm(ctx, 'conv_norm_out', h, levels.groups, config.norm_eps));
  const noisePred = conv2d(ctx, 'conv_out', g.silu(h), config.out_channels, 3);
  g.output(UNET_OUTPUT, noisePred);
  ctx.finish('UNet2DConditionModel');
  return { sample, timestep, encoderHiddenStates: context, noisePred, ...(logitBias ? { logitBias } : {}), ...(collage ? { collage } : {}) };
}

function checkSize(options: UNetBuildOptions, levelCount: number): void {
  const factor = 2 ** (levelCount - 1);
  for (const [key, size] of [['heightLatPx', options.heightLatPx], ['widthLatPx', options.widthLatPx]] as const) {
    if (!Number.isInteger(size) || size <= 0 || size % factor !== 0) {
      const lo = Math.max(factor, Math.floor(size / factor) * factor);
      throw new InputError({ what: `${key} ${size} is not a positive multiple of ${factor} (the UNet halves it ${levelCount - 1} times)`, where: `UNet options → ${key}`, fix: `use ${lo} or ${lo + factor}` });
    }
  }
}

function checkContext(context: Value, expected: readonly number[]): void {
  if (context.shape.join('x') !== expected.join('x') || context.dtype !== 'float32') {
    throw new InputError({ what: `encoderHiddenStates is ${context.dtype}[${context.shape.join(', ')}], expected float32[${expected.join(', ')}]`, where: 'UNet options → encoderHiddenStates', fix: 'pass text embeddings of shape [batch, textLength, cross_attention_dim]' });
  }
}

function checkConditional(conditional: readonly boolean[], batch: number): readonly boolean[] {
  if (conditional.length !== batch) throw new InputError({ what: `collageBias.conditional has ${conditional.length} entries for batch ${batch}`, where: 'UNet options → collageBias.conditional', fix: 'give one entry per batch item ([false, true] for [uncond, cond])' });
  return conditional;
}

/**
 * Timesteps (sinusoidal, `time_proj`) then TimestepEmbedding (`time_embedding`: linear_1 → SiLU → linear_2).
 * Frequencies exp(−ln(10000)·i / (half − freq_shift)) are constants rounded to float32 as torch computes them.
 * @param timestep [B] @returns [B, 4·block_out_channels[0]]
 */
function timeEmbedding(ctx: BuildContext, timestep: Value, config: UNetBuildConfig): Value {
  const { g } = ctx;
  const dim = config.block_out_channels[0]!;
  const half = Math.floor(dim / 2);
  const freqs = new Float32Array(half);
  const logMax = Math.fround(-Math.log(10000));
  for (let i = 0; i < half; i++) freqs[i] = Math.exp(Math.fround(Math.fround(logMax * i) / (half - config.freq_shift)));
  const args = g.mul(g.unsqueeze(timestep, [1]), g.constant(float32([1, half], freqs), 'time_proj.freqs'));
  const [first, second] = config.flip_sin_to_cos ? [g.cos(args), g.sin(args)] : [g.sin(args), g.cos(args)];
  let proj = g.concat([first, second], 1);
  if (dim % 2 === 1) proj = g.pad(proj, [0, 0, 0, 1]);
  ctx.tap('time_proj.out', proj);
  const timeDim = 4 * dim;
  return g.scope('time_embedding', () => ctx.tap('out', linear(ctx, 'linear_2', g.silu(linear(ctx, 'linear_1', proj, timeDim)), timeDim)));
}

/** A block under `scope`, as one gradient-checkpointing segment when asked. */
function segment(state: UNetState, scope: string, build: () => Value): Value {
  const { g } = state.ctx;
  return g.scope(scope, () => (state.checkpointing ? g.checkpoint(build) : build()));
}

function resnet(state: UNetState, index: number, x: Value, outChannels: number, scale = 1): Value {
  const { ctx, levels, config } = state;
  return segment(state, `resnets.${index}`, () => resnetBlock(ctx, x, state.temb, { outChannels, groups: levels.groups, eps: config.norm_eps, outputScaleFactor: scale }));
}

function attention(state: UNetState, index: number, x: Value, level: number): Value {
  const { ctx, levels, config } = state;
  return segment(state, `attentions.${index}`, () =>
    transformer2d(ctx, x, state.context, state.bias, { heads: levels.heads[level]!, groups: levels.groups, useLinearProjection: config.use_linear_projection, layers: levels.transformerLayers[level]!, maxScoreBytes: state.maxScoreBytes }),
  );
}

/** DownBlock2D / CrossAttnDownBlock2D; pushes each emitted skip (taps `res_samples.<j>`) onto `skips`. */
function downBlock(state: UNetState, level: number, type: 'DownBlock2D' | 'CrossAttnDownBlock2D', x: Value, skips: Value[]): Value {
  const { ctx, levels } = state;
  const channels = levels.channels[level]!;
  let h = x;
  let emitted = 0;
  for (let j = 0; j < levels.layers[level]!; j++) {
    h = resnet(state, j, h, channels);
    if (type === 'CrossAttnDownBlock2D') h = attention(state, j, h, level);
    skips.push(ctx.tap(`res_samples.${emitted++}`, h));
  }
  if (level < levels.channels.length - 1) {
    h = ctx.g.scope('downsamplers.0', () => downsample(ctx, h, state.config.downsample_padding));
    skips.push(ctx.tap(`res_samples.${emitted++}`, h));
  }
  return ctx.tap('out', h);
}

/** UNetMidBlock2DCrossAttn: resnet → transformer → resnet at the last level's width and heads. */
function midBlock(state: UNetState, x: Value): Value {
  const last = state.levels.channels.length - 1;
  const channels = state.levels.channels[last]!;
  const scale = state.config.mid_block_scale_factor;
  let h = resnet(state, 0, x, channels, scale);
  h = attention(state, 0, h, last);
  h = resnet(state, 1, h, channels, scale);
  return state.ctx.tap('out', h);
}

/** UpBlock2D / CrossAttnUpBlock2D at up index i = level (n − 1 − i): each resnet takes concat(h, last skip). */
function upBlock(state: UNetState, i: number, type: 'UpBlock2D' | 'CrossAttnUpBlock2D', x: Value, skips: Value[]): Value {
  const { ctx, levels } = state;
  const level = levels.channels.length - 1 - i;
  const channels = levels.channels[level]!;
  let h = x;
  for (let j = 0; j < levels.layers[level]! + 1; j++) {
    const skip = skips.pop()!;
    h = resnet(state, j, ctx.g.concat([h, skip], 1), channels);
    if (type === 'CrossAttnUpBlock2D') h = attention(state, j, h, level);
  }
  if (level > 0) h = ctx.g.scope('upsamplers.0', () => upsample(ctx, h));
  return ctx.tap('out', h);
}
