// Typed configs of the three Stable Diffusion model classes, resolved with the library defaults the way
// `from_config` does: diffusers 0.27.2 UNet2DConditionModel / AutoencoderKL __init__ signatures and transformers 4.36
// CLIPTextConfig. Keys are the libraries' own, verbatim; JSON null becomes absent (undefined).
import { InputError, type Problem } from '../errors.ts';

type Kind = 'int' | 'number' | 'string' | 'boolean' | 'intList' | 'numberList' | 'stringList' | 'intOrList' | 'booleanOrList' | 'intOrNestedList';
interface Field {
  readonly kind: Kind;
  /** The library default; `undefined` = the library default is None (the key becomes absent). */
  readonly default?: unknown;
  /** The key has no default: a config without it is an error. */
  readonly required?: true;
}

/** UNet2DConditionModel (diffusers 0.27.2, `unets/unet_2d_condition.py`). */
export interface UNet2DConditionConfig {
  readonly _class_name: 'UNet2DConditionModel';
  readonly sample_size?: number;
  readonly in_channels: number;
  readonly out_channels: number;
  readonly center_input_sample: boolean;
  readonly flip_sin_to_cos: boolean;
  readonly freq_shift: number;
  readonly down_block_types: readonly string[];
  readonly mid_block_type?: string;
  readonly up_block_types: readonly string[];
  readonly only_cross_attention: boolean | readonly boolean[];
  readonly block_out_channels: readonly number[];
  readonly layers_per_block: number | readonly number[];
  readonly downsample_padding: number;
  readonly mid_block_scale_factor: number;
  readonly dropout: number;
  readonly act_fn: string;
  readonly norm_num_groups?: number;
  readonly norm_eps: number;
  readonly cross_attention_dim: number | readonly number[];
  readonly transformer_layers_per_block: number | readonly number[] | readonly (readonly number[])[];
  readonly reverse_transformer_layers_per_block?: readonly (readonly number[])[];
  readonly encoder_hid_dim?: number;
  readonly encoder_hid_dim_type?: string;
  /** In diffusers this is really the number of heads when num_attention_heads is absent (see its comment). */
  readonly attention_head_dim: number | readonly number[];
  readonly num_attention_heads?: number | readonly number[];
  readonly dual_cross_attention: boolean;
  readonly use_linear_projection: boolean;
  readonly class_embed_type?: string;
  readonly addition_embed_type?: string;
  readonly addition_time_embed_dim?: number;
  readonly num_class_embeds?: number;
  readonly upcast_attention: boolean;
  readonly resnet_time_scale_shift: string;
  readonly resnet_skip_time_act: boolean;
  readonly resnet_out_scale_factor: number;
  readonly time_embedding_type: string;
  readonly time_embedding_dim?: number;
  readonly time_embedding_act_fn?: string;
  readonly timestep_post_act?: string;
  readonly time_cond_proj_dim?: number;
  readonly conv_in_kernel: number;
  readonly conv_out_kernel: number;
  readonly projection_class_embeddings_input_dim?: number;
  readonly attention_type: string;
  readonly class_embeddings_concat: boolean;
  readonly mid_block_only_cross_attention?: boolean;
  readonly cross_attention_norm?: string;
  readonly addition_embed_type_num_heads: number;
}

/** AutoencoderKL (diffusers 0.27.2, `autoencoders/autoencoder_kl.py`). */
export interface AutoencoderKLConfig {
  readonly _class_name: 'AutoencoderKL';
  readonly in_channels: number;
  readonly out_channels: number;
  readonly down_block_types: readonly string[];
  readonly up_block_types: readonly string[];
  readonly block_out_channels: readonly number[];
  readonly layers_per_block: number;
  readonly act_fn: string;
  readonly latent_channels: number;
  readonly norm_num_groups: number;
  readonly sample_size: number;
  readonly scaling_factor: number;
  readonly latents_mean?: readonly number[];
  readonly latents_std?: readonly number[];
  readonly force_upcast: boolean;
}

/** CLIPTextModel's CLIPTextConfig (transformers 4.36, `models/clip/configuration_clip.py`). */
export interface CLIPTextConfig {
  readonly _class_name: 'CLIPTextModel' | 'CLIPTextModelWithProjection';
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly projection_dim: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly max_position_embeddings: number;
  readonly hidden_act: string;
  readonly layer_norm_eps: number;
  readonly attention_dropout: number;
  readonly initializer_range: number;
  readonly initializer_factor: number;
  readonly pad_token_id: number;
  readonly bos_token_id: number;
  readonly eos_token_id: number;
}

type Schema<C> = { readonly [K in Exclude<keyof C, '_class_name'>]-?: Field };

const UNET_SCHEMA: Schema<UNet2DConditionConfig> = {
  sample_size: { kind: 'int' },
  in_channels: { kind: 'int', default: 4 },
  out_channels: { kind: 'int', default: 4 },
  center_input_sample: { kind: 'boolean', default: false },
  flip_sin_to_cos: { kind: 'boolean', default: true },
  freq_shift: { kind: 'number', default: 0 },
  down_block_types: { kind: 'stringList', default: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'] },
  mid_block_type: { kind: 'string', default: 'UNetMidBlock2DCrossAttn' },
  up_block_types: { kind: 'stringList', default: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'] },
  only_cross_attention: { kind: 'booleanOrList', default: false },
  block_out_channels: { kind: 'intList', default: [320, 640, 1280, 1280] },
  layers_per_block: { kind: 'intOrList', default: 2 },
  downsample_padding: { kind: 'int', default: 1 },
  mid_block_scale_factor: { kind: 'number', default: 1 },
  dropout: { kind: 'number', default: 0 },
  act_fn: { kind: 'string', default: 'silu' },
  norm_num_groups: { kind: 'int', default: 32 },
  norm_eps: { kind: 'number', default: 1e-5 },
  cross_attention_dim: { kind: 'intOrList', default: 1280 },
  transformer_layers_per_block: { kind: 'intOrNestedList', default: 1 },
  reverse_transformer_layers_per_block: { kind: 'intOrNestedList' },
  encoder_hid_dim: { kind: 'int' },
  encoder_hid_dim_type: { kind: 'string' },
  attention_head_dim: { kind: 'intOrList', default: 8 },
  num_attention_heads: { kind: 'intOrList' },
  dual_cross_attention: { kind: 'boolean', default: false },
  use_linear_projection: { kind: 'boolean', default: false },
  class_embed_type: { kind: 'string' },
  addition_embed_type: { kind: 'string' },
  addition_time_embed_dim: { kind: 'int' },
  num_class_embeds: { kind: 'int' },
  upcast_attention: { kind: 'boolean', default: false },
  resnet_time_scale_shift: { kind: 'string', default: 'default' },
  resnet_skip_time_act: { kind: 'boolean', default: false },
  resnet_out_scale_factor: { kind: 'number', default: 1 },
  time_embedding_type: { kind: 'string', default: 'positional' },
  time_embedding_dim: { kind: 'int' },
  time_embedding_act_fn: { kind: 'string' },
  timestep_post_act: { kind: 'string' },
  time_cond_proj_dim: { kind: 'int' },
  conv_in_kernel: { kind: 'int', default: 3 },
  conv_out_kernel: { kind: 'int', default: 3 },
  projection_class_embeddings_input_dim: { kind: 'int' },
  attention_type: { kind: 'string', default: 'default' },
  class_embeddings_concat: { kind: 'boolean', default: false },
  mid_block_only_cross_attention: { kind: 'boolean' },
  cross_attention_norm: { kind: 'string' },
  addition_embed_type_num_heads: { kind: 'int', default: 64 },
};

const VAE_SCHEMA: Schema<AutoencoderKLConfig> = {
  in_channels: { kind: 'int', default: 3 },
  out_channels: { kind: 'int', default: 3 },
  down_block_types: { kind: 'stringList', default: ['DownEncoderBlock2D'] },
  up_block_types: { kind: 'stringList', default: ['UpDecoderBlock2D'] },
  block_out_channels: { kind: 'intList', default: [64] },
  layers_per_block: { kind: 'int', default: 1 },
  act_fn: { kind: 'string', default: 'silu' },
  latent_channels: { kind: 'int', default: 4 },
  norm_num_groups: { kind: 'int', default: 32 },
  sample_size: { kind: 'int', default: 32 },
  scaling_factor: { kind: 'number', default: 0.18215 },
  latents_mean: { kind: 'numberList' },
  latents_std: { kind: 'numberList' },
  force_upcast: { kind: 'boolean', default: true },
};

const CLIP_TEXT_SCHEMA: Schema<CLIPTextConfig> = {
  vocab_size: { kind: 'int', default: 49408 },
  hidden_size: { kind: 'int', default: 512 },
  intermediate_size: { kind: 'int', default: 2048 },
  projection_dim: { kind: 'int', default: 512 },
  num_hidden_layers: { kind: 'int', default: 12 },
  num_attention_heads: { kind: 'int', default: 8 },
  max_position_embeddings: { kind: 'int', default: 77 },
  hidden_act: { kind: 'string', default: 'quick_gelu' },
  layer_norm_eps: { kind: 'number', default: 1e-5 },
  attention_dropout: { kind: 'number', default: 0 },
  initializer_range: { kind: 'number', default: 0.02 },
  initializer_factor: { kind: 'number', default: 1 },
  pad_token_id: { kind: 'int', default: 1 },
  bos_token_id: { kind: 'int', default: 49406 },
  eos_token_id: { kind: 'int', default: 49407 },
};

const isInt = (v: unknown): boolean => Number.isInteger(v);
const isList = (v: unknown, item: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(item);
const CHECKS: Record<Kind, [(v: unknown) => boolean, string]> = {
  int: [isInt, 'an integer'],
  number: [(v) => typeof v === 'number', 'a number'],
  string: [(v) => typeof v === 'string', 'a string'],
  boolean: [(v) => typeof v === 'boolean', 'true or false'],
  intList: [(v) => isList(v, isInt), 'a list of integers'],
  numberList: [(v) => isList(v, (x) => typeof x === 'number'), 'a list of numbers'],
  stringList: [(v) => isList(v, (x) => typeof x === 'string'), 'a list of strings'],
  intOrList: [(v) => isInt(v) || isList(v, isInt), 'an integer or a list of integers'],
  booleanOrList: [(v) => typeof v === 'boolean' || isList(v, (x) => typeof x === 'boolean'), 'a boolean or a list of booleans'],
  intOrNestedList: [(v) => isInt(v) || isList(v, (x) => isInt(x) || isList(x, isInt)), 'an integer or a (nested) list of integers'],
};

function resolve<C>(className: string, schema: Schema<C>, raw: Readonly<Record<string, unknown>>, path: string): C {
  const problems: Problem[] = [];
  const out: Record<string, unknown> = { _class_name: className };
  for (const [key, field] of Object.entries(schema) as [string, Field][]) {
    const value = raw[key];
    if (value === undefined || value === null) {
      if (field.required) problems.push({ what: `missing key "${key}" (${className} has no default for it)`, where: path, fix: `add "${key}" to the config` });
      else if (value === undefined && field.default !== undefined) out[key] = structuredClone(field.default);
      continue;
    }
    const [check, expected] = CHECKS[field.kind];
    if (!check(value)) problems.push({ what: `"${key}" is ${JSON.stringify(value)}, expected ${expected}`, where: `${path} → ${key}`, fix: `set "${key}" to ${expected}` });
    else out[key] = value;
  }
  if (problems.length > 0) throw new InputError(problems);
  return out as C;
}

/** The model classes we build, by the class name configs and model_index.json use. */
export const MODEL_CLASSES = ['UNet2DConditionModel', 'AutoencoderKL', 'CLIPTextModel', 'CLIPTextModelWithProjection'] as const;
export type ModelClass = (typeof MODEL_CLASSES)[number];

export type ModelConfig = UNet2DConditionConfig | AutoencoderKLConfig | CLIPTextConfig;

/**
 * Resolves a parsed config.json of `className` with the library defaults and checks every key's type.
 * @throws InputError listing every missing or mistyped key, each naming the file
 */
export function resolveModelConfig(className: ModelClass, raw: Readonly<Record<string, unknown>>, path: string): ModelConfig {
  switch (className) {
    case 'UNet2DConditionModel':
      return resolve<UNet2DConditionConfig>(className, UNET_SCHEMA, raw, path);
    case 'AutoencoderKL':
      return resolve<AutoencoderKLConfig>(className, VAE_SCHEMA, raw, path);
    case 'CLIPTextModel':
    case 'CLIPTextModelWithProjection':
      return resolve<CLIPTextConfig>(className, CLIP_TEXT_SCHEMA, raw, path);
  }
}
