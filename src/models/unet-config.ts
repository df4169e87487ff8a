// The UNet2DConditionModel config as the UNet builder needs it (keys verbatim from diffusers' config.json, so io's
// resolved `UNet2DConditionConfig` fits as is), checked once before any building: list lengths first, naming both
// fields, then every value we do not build, each with the supported ones.
import { ModelError, type Problem } from '../errors.ts';

/** Block class names we build: the ones SD 1.x / 2.x folders use. */
export const SUPPORTED_DOWN_BLOCKS = ['DownBlock2D', 'CrossAttnDownBlock2D'] as const;
export const SUPPORTED_UP_BLOCKS = ['UpBlock2D', 'CrossAttnUpBlock2D'] as const;
export const SUPPORTED_MID_BLOCKS = ['UNetMidBlock2DCrossAttn'] as const;
export type DownBlockType = (typeof SUPPORTED_DOWN_BLOCKS)[number];
export type UpBlockType = (typeof SUPPORTED_UP_BLOCKS)[number];

/** The keys of diffusers' UNet2DConditionModel config.json that the builder reads (defaults resolved by io). */
export interface UNetBuildConfig {
  readonly in_channels: number;
  readonly out_channels: number;
  readonly down_block_types: readonly string[];
  readonly up_block_types: readonly string[];
  readonly mid_block_type?: string | undefined;
  readonly block_out_channels: readonly number[];
  readonly layers_per_block: number | readonly number[];
  /** Heads per block unless num_attention_heads is set (diffusers' naming quirk). */
  readonly attention_head_dim: number | readonly number[];
  readonly num_attention_heads?: number | readonly number[] | undefined;
  readonly cross_attention_dim: number | readonly number[];
  readonly transformer_layers_per_block?: number | readonly number[] | readonly (readonly number[])[];
  readonly use_linear_projection: boolean;
  readonly upcast_attention?: boolean;
  readonly norm_num_groups?: number | undefined;
  readonly norm_eps: number;
  readonly flip_sin_to_cos: boolean;
  readonly freq_shift: number;
  readonly downsample_padding: number;
  readonly mid_block_scale_factor: number;
  readonly act_fn?: string;
  readonly center_input_sample?: boolean;
  readonly only_cross_attention?: boolean | readonly boolean[];
  readonly dual_cross_attention?: boolean;
  readonly resnet_time_scale_shift?: string;
  readonly resnet_out_scale_factor?: number;
  readonly resnet_skip_time_act?: boolean;
  readonly time_embedding_type?: string;
  readonly time_embedding_dim?: number | undefined;
  readonly time_embedding_act_fn?: string | undefined;
  readonly timestep_post_act?: string | undefined;
  readonly time_cond_proj_dim?: number | undefined;
  readonly class_embed_type?: string | undefined;
  readonly num_class_embeds?: number | undefined;
  readonly addition_embed_type?: string | undefined;
  readonly encoder_hid_dim?: number | undefined;
  readonly conv_in_kernel?: number;
  readonly conv_out_kernel?: number;
  readonly attention_type?: string;
  readonly cross_attention_norm?: string | undefined;
}

/** Per-level values after the checks: index i = down block i (up blocks use them reversed, as diffusers does). */
export interface UNetLevels {
  readonly down: readonly DownBlockType[];
  readonly up: readonly UpBlockType[];
  readonly channels: readonly number[];
  readonly layers: readonly number[];
  readonly heads: readonly number[];
  readonly crossAttentionDim: readonly number[];
  readonly transformerLayers: readonly number[];
  readonly groups: number;
}

function perLevel<T>(value: T | readonly T[], field: string, count: number, problems: Problem[], where: string): readonly T[] {
  if (!Array.isArray(value)) return Array.from({ length: count }, () => value as T);
  const list = value as readonly T[];
  if (list.length !== count) {
    problems.push({ what: `${field} has ${list.length} entries but down_block_types has ${count}`, where: `${where} → ${field}`, fix: `give ${field} one entry per down block, or a single number` });
  }
  return list;
}

/** Keys with a value we do not build: [key, actual, supported]. */
function unsupportedValues(c: UNetBuildConfig): [string, unknown, string][] {
  const checks: [string, unknown, unknown][] = [
    ['act_fn', c.act_fn ?? 'silu', 'silu'],
    ['center_input_sample', c.center_input_sample ?? false, false],
    ['dual_cross_attention', c.dual_cross_attention ?? false, false],
    ['resnet_time_scale_shift', c.resnet_time_scale_shift ?? 'default', 'default'],
    ['resnet_out_scale_factor', c.resnet_out_scale_factor ?? 1, 1],
    ['resnet_skip_time_act', c.resnet_skip_time_act ?? false, false],
    ['time_embedding_type', c.time_embedding_type ?? 'positional', 'positional'],
    ['time_embedding_dim', c.time_embedding_dim, undefined],
    ['time_embedding_act_fn', c.time_embedding_act_fn, undefined],
    ['timestep_post_act', c.timestep_post_act, undefined],
    ['time_cond_proj_dim', c.time_cond_proj_dim, undefined],
    ['class_embed_type', c.class_embed_type, undefined],
    ['num_class_embeds', c.num_class_embeds, undefined],
    ['addition_embed_type', c.addition_embed_type, undefined],
    ['encoder_hid_dim', c.encoder_hid_dim, undefined],
    ['conv_in_kernel', c.conv_in_kernel ?? 3, 3],
    ['conv_out_kernel', c.conv_out_kernel ?? 3, 3],
    ['attention_type', c.attention_type ?? 'default', 'default'],
    ['cross_attention_norm', c.cross_attention_norm, undefined],
  ];
  const only = c.only_cross_attention ?? false;
  if (only === true || (Array.isArray(only) && only.some(Boolean))) checks.push(['only_cross_attention', only, false]);
  return checks.filter(([, actual, supported]) => actual !== supported && !(actual === null && supported === undefined)).map(([k, a, s]) => [k, a, s === undefined ? 'absent (null)' : JSON.stringify(s)]);
}

/**
 * Checks a UNet config and resolves its per-level lists.
 * @param where the config file, for messages
 * @throws ModelError listing every problem: list-length mismatches (naming both fields), unknown block types (listing
 *   the supported ones), values we do not build
 */
export function checkUNetConfig(c: UNetBuildConfig, where: string): UNetLevels {
  const problems: Problem[] = [];
  const n = c.down_block_types.length;
  if (c.up_block_types.length !== n) problems.push({ what: `up_block_types has ${c.up_block_types.length} entries but down_block_types has ${n}`, where: `${where} → up_block_types`, fix: 'give both one entry per resolution level' });
  if (c.block_out_channels.length !== n) problems.push({ what: `block_out_channels has ${c.block_out_channels.length} entries but down_block_types has ${n}`, where: `${where} → block_out_channels`, fix: 'give block_out_channels one entry per down block' });
  const down = c.down_block_types.filter((t, i) => {
    const ok = (SUPPORTED_DOWN_BLOCKS as readonly string[]).includes(t);
    if (!ok) problems.push({ what: `unsupported down block type "${t}"`, where: `${where} → down_block_types[${i}]`, fix: `use one of ${SUPPORTED_DOWN_BLOCKS.join(', ')}` });
    return ok;
  }) as DownBlockType[];
  const up = c.up_block_types.filter((t, i) => {
    const ok = (SUPPORTED_UP_BLOCKS as readonly string[]).includes(t);
    if (!ok) problems.push({ what: `unsupported up block type "${t}"`, where: `${where} → up_block_types[${i}]`, fix: `use one of ${SUPPORTED_UP_BLOCKS.join(', ')}` });
    return ok;
  }) as UpBlockType[];
  const mid = c.mid_block_type ?? 'UNetMidBlock2DCrossAttn';
  if (!(SUPPORTED_MID_BLOCKS as readonly string[]).includes(mid)) problems.push({ what: `unsupported mid block type "${mid}"`, where: `${where} → mid_block_type`, fix: `use ${SUPPORTED_MID_BLOCKS.join(', ')}` });
  const heads = perLevel(c.num_attention_heads ?? c.attention_head_dim, c.num_attention_heads === undefined ? 'attention_head_dim' : 'num_attention_heads', n, problems, where);
  const layers = perLevel(c.layers_per_block, 'layers_per_block', n, problems, where);
  const crossAttentionDim = perLevel(c.cross_attention_dim, 'cross_attention_dim', n, problems, where);
  const transformerLayers = perLevel<number | readonly number[]>(c.transformer_layers_per_block ?? 1, 'transformer_layers_per_block', n, problems, where).map((t, i) => {
    if (typeof t === 'number') return t;
    problems.push({ what: `transformer_layers_per_block[${i}] is a nested list (SDXL-style), which we do not build`, where: `${where} → transformer_layers_per_block`, fix: 'use one number per block' });
    return 1;
  });
  for (const [key, actual, supported] of unsupportedValues(c)) problems.push({ what: `${key} is ${JSON.stringify(actual)}, which we do not build (Stable Diffusion 1.x/2.x UNets only)`, where: `${where} → ${key}`, fix: `use ${supported}` });
  const groups = c.norm_num_groups ?? 32;
  c.block_out_channels.forEach((ch, i) => {
    if (ch % groups !== 0) problems.push({ what: `block_out_channels[${i}] = ${ch} does not split into norm_num_groups = ${groups} groups`, where: `${where} → block_out_channels`, fix: 'use channel counts divisible by norm_num_groups' });
    const h = heads[i];
    if (h !== undefined && ch % h !== 0) problems.push({ what: `block_out_channels[${i}] = ${ch} does not split into ${h} heads`, where: `${where} → attention_head_dim`, fix: 'use a head count that divides the channel count' });
  });
  if (problems.length > 0) throw new ModelError(problems);
  return { down, up, channels: c.block_out_channels, layers, heads, crossAttentionDim, transformerLayers, groups };
}
