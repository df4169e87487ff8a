// Single-file SD 1.x checkpoints (CompVis/LDM layout: `model.diffusion_model.*`, `first_stage_model.*`,
// `cond_stage_model.transformer.*`) seen as three diffusers-named weight sources, by the key map of diffusers'
// `scripts/convert_original_stable_diffusion_to_diffusers.py`, built from the configs (so tiny layouts map too).
import { ModelError } from '../errors.ts';
import { openSafetensors, resolveModelConfig, type AutoencoderKLConfig, type CLIPTextConfig, type TensorSource, type UNet2DConditionConfig } from '../io/index.ts';
import type { WeightSource } from './weights.ts';

/** runwayml/stable-diffusion-v1-5's unet/config.json (the keys that differ from the library defaults). */
export const SD1_UNET_CONFIG = resolveModelConfig('UNet2DConditionModel', { cross_attention_dim: 768, sample_size: 64, attention_head_dim: 8 }, 'SD 1.x UNet config') as UNet2DConditionConfig;
/** runwayml/stable-diffusion-v1-5's vae/config.json. */
export const SD1_VAE_CONFIG = resolveModelConfig(
  'AutoencoderKL',
  { block_out_channels: [128, 256, 512, 512], down_block_types: Array(4).fill('DownEncoderBlock2D'), up_block_types: Array(4).fill('UpDecoderBlock2D'), layers_per_block: 2, sample_size: 512 },
  'SD 1.x VAE config',
) as AutoencoderKLConfig;
/** runwayml/stable-diffusion-v1-5's text_encoder/config.json (openai/clip-vit-large-patch14's text tower). */
export const SD1_TEXT_ENCODER_CONFIG = resolveModelConfig(
  'CLIPTextModel',
  { hidden_size: 768, intermediate_size: 3072, num_attention_heads: 12, num_hidden_layers: 12, projection_dim: 768, bos_token_id: 0, eos_token_id: 2, pad_token_id: 1 },
  'SD 1.x text encoder config',
) as CLIPTextConfig;

export interface CheckpointConfigs {
  readonly unet: UNet2DConditionConfig;
  readonly vae: AutoencoderKLConfig;
  readonly textEncoder: CLIPTextConfig;
}

/** The three models of one checkpoint, each with its config and diffusers-named weights. */
export interface StableDiffusionCheckpoint extends CheckpointConfigs {
  readonly path: string;
  readonly unetWeights: WeightSource;
  readonly vaeWeights: WeightSource;
  readonly textEncoderWeights: WeightSource;
  close(): void;
}

const UNET_PREFIX = 'model.diffusion_model.';
const VAE_PREFIX = 'first_stage_model.';
const TEXT_PREFIX = 'cond_stage_model.transformer.';

/**
 * Opens a single-file SD 1.x `.safetensors` checkpoint; weights are read on demand and F16/BF16 become float32.
 * @param configs the models' configs @default the SD 1.x (v1-5) configs
 * @throws ModelError for a pickle checkpoint, a file that is not an SD 1.x checkpoint (an SD 2.x one included)
 */
export function openCheckpoint(path: string, configs: Partial<CheckpointConfigs> = {}): StableDiffusionCheckpoint {
  if (/\.(ckpt|pt|pth|bin)$/i.test(path)) {
    throw new ModelError({ what: 'is a pickle checkpoint: it can run arbitrary code and is not read', where: path, fix: 'use the .safetensors release of the checkpoint, or convert it to safetensors' });
  }
  const file = openSafetensors(path);
  const names = file.names();
  const count = (prefix: string): number => names.filter((n) => n.startsWith(prefix)).length;
  if (count('cond_stage_model.model.') > 0) {
    file.close();
    throw new ModelError({ what: 'is an SD 2.x checkpoint (OpenCLIP text encoder keys cond_stage_model.model.*); single files are supported for SD 1.x only', where: path, fix: 'use the diffusers folder of this model (e.g. stabilityai/stable-diffusion-2-1)' });
  }
  const missing = [UNET_PREFIX, VAE_PREFIX, TEXT_PREFIX].filter((p) => count(p) === 0);
  if (missing.length > 0) {
    file.close();
    throw new ModelError({ what: `no ${missing.map((p) => `${p}*`).join(', ')} weights among its ${names.length} tensors: not a single-file SD 1.x checkpoint`, where: path, fix: 'pass a full SD 1.x checkpoint (.safetensors with UNet, VAE and text encoder), or a diffusers folder' });
  }
  const unet = configs.unet ?? SD1_UNET_CONFIG;
  const vae = configs.vae ?? SD1_VAE_CONFIG;
  const textEncoder = configs.textEncoder ?? SD1_TEXT_ENCODER_CONFIG;
  return {
    path,
    unet,
    vae,
    textEncoder,
    unetWeights: mappedSource(file, UNET_PREFIX, unetKeyMap(unet)),
    vaeWeights: mappedSource(file, VAE_PREFIX, vaeKeyMap(vae), isVaeAttentionWeight),
    textEncoderWeights: mappedSource(file, TEXT_PREFIX, textKeyMap()),
    close: () => file.close(),
  };
}

/** A diffusers module prefix → its LDM prefix (both without the model prefix). Longest LDM prefix wins. */
export type KeyMap = ReadonlyMap<string, string>;

/** diffusers' ResnetBlock2D names → LDM ResBlock names (convert_ldm_unet_checkpoint's renew_resnet_paths). */
const UNET_RESNET_PARTS: readonly (readonly [string, string])[] = [
  ['norm1', 'in_layers.0'], ['conv1', 'in_layers.2'], ['time_emb_proj', 'emb_layers.1'],
  ['norm2', 'out_layers.0'], ['conv2', 'out_layers.3'], ['conv_shortcut', 'skip_connection'],
];
const VAE_RESNET_PARTS: readonly (readonly [string, string])[] = [
  ['norm1', 'norm1'], ['conv1', 'conv1'], ['norm2', 'norm2'], ['conv2', 'conv2'], ['conv_shortcut', 'nin_shortcut'],
];
const VAE_ATTENTION_PARTS: readonly (readonly [string, string])[] = [
  ['group_norm', 'norm'], ['to_q', 'q'], ['to_k', 'k'], ['to_v', 'v'], ['to_out.0', 'proj_out'],
];

function addParts(map: Map<string, string>, diffusers: string, ldm: string, parts: readonly (readonly [string, string])[]): void {
  for (const [d, l] of parts) map.set(`${diffusers}.${d}`, `${ldm}.${l}`);
}

/** UNet: input_blocks / middle_block / output_blocks numbered as LDM's UNetModel lays them out from the config. */
export function unetKeyMap(config: UNet2DConditionConfig): KeyMap {
  const map = new Map<string, string>([
    ['time_embedding.linear_1', 'time_embed.0'], ['time_embedding.linear_2', 'time_embed.2'],
    ['conv_in', 'input_blocks.0.0'], ['conv_norm_out', 'out.0'], ['conv_out', 'out.2'],
  ]);
  const layers = typeof config.layers_per_block === 'number' ? config.layers_per_block : config.layers_per_block[0]!;
  const levels = config.block_out_channels.length;
  let input = 1;
  config.down_block_types.forEach((type, b) => {
    for (let l = 0; l < layers; l++, input++) {
      addParts(map, `down_blocks.${b}.resnets.${l}`, `input_blocks.${input}.0`, UNET_RESNET_PARTS);
      if (type.startsWith('CrossAttn')) map.set(`down_blocks.${b}.attentions.${l}`, `input_blocks.${input}.1`);
    }
    if (b < levels - 1) map.set(`down_blocks.${b}.downsamplers.0.conv`, `input_blocks.${input++}.0.op`);
  });
  addParts(map, 'mid_block.resnets.0', 'middle_block.0', UNET_RESNET_PARTS);
  map.set('mid_block.attentions.0', 'middle_block.1');
  addParts(map, 'mid_block.resnets.1', 'middle_block.2', UNET_RESNET_PARTS);
  let output = 0;
  config.up_block_types.forEach((type, u) => {
    const attention = type.startsWith('CrossAttn');
    for (let l = 0; l <= layers; l++, output++) {
      addParts(map, `up_blocks.${u}.resnets.${l}`, `output_blocks.${output}.0`, UNET_RESNET_PARTS);
      if (attention) map.set(`up_blocks.${u}.attentions.${l}`, `output_blocks.${output}.1`);
      // The upsampler sits in the block's last output block, after its resnet (and attention).
      if (l === layers && u < levels - 1) map.set(`up_blocks.${u}.upsamplers.0.conv`, `output_blocks.${output}.${attention ? 2 : 1}.conv`);
    }
  });
  return map;
}

/** VAE: LDM's encoder.down.i.block.j / decoder.up.i.block.j (decoder levels numbered from the bottom). */
export function vaeKeyMap(config: AutoencoderKLConfig): KeyMap {
  const map = new Map<string, string>([['quant_conv', 'quant_conv'], ['post_quant_conv', 'post_quant_conv']]);
  const levels = config.block_out_channels.length;
  for (const part of ['encoder', 'decoder'] as const) {
    for (const m of ['conv_in', 'conv_out']) map.set(`${part}.${m}`, `${part}.${m}`);
    map.set(`${part}.conv_norm_out`, `${part}.norm_out`);
    addParts(map, `${part}.mid_block.resnets.0`, `${part}.mid.block_1`, VAE_RESNET_PARTS);
    addParts(map, `${part}.mid_block.resnets.1`, `${part}.mid.block_2`, VAE_RESNET_PARTS);
    addParts(map, `${part}.mid_block.attentions.0`, `${part}.mid.attn_1`, VAE_ATTENTION_PARTS);
  }
  for (let i = 0; i < levels; i++) {
    for (let j = 0; j < config.layers_per_block; j++) addParts(map, `encoder.down_blocks.${i}.resnets.${j}`, `encoder.down.${i}.block.${j}`, VAE_RESNET_PARTS);
    if (i < levels - 1) map.set(`encoder.down_blocks.${i}.downsamplers.0.conv`, `encoder.down.${i}.downsample.conv`);
    const ldm = levels - 1 - i;
    for (let j = 0; j <= config.layers_per_block; j++) addParts(map, `decoder.up_blocks.${i}.resnets.${j}`, `decoder.up.${ldm}.block.${j}`, VAE_RESNET_PARTS);
    if (i < levels - 1) map.set(`decoder.up_blocks.${i}.upsamplers.0.conv`, `decoder.up.${ldm}.upsample.conv`);
  }
  return map;
}

/** Text encoder: the transformers names under `cond_stage_model.transformer.`, with or without `text_model.`. */
export function textKeyMap(): KeyMap {
  return new Map([['text_model', 'text_model']]);
}

/** LDM stores the VAE attention projections as 1×1 convs [C, C, 1, 1]; diffusers as Linear [C, C]. */
function isVaeAttentionWeight(diffusersName: string): boolean {
  return /mid_block\.attentions\.0\.(to_q|to_k|to_v|to_out\.0)\.weight$/.test(diffusersName);
}

/** The diffusers name of an LDM key (model prefix removed) by its longest mapped module prefix. */
function diffusersName(ldm: string, byLdm: ReadonlyMap<string, string>): string | undefined {
  const parts = ldm.split('.');
  for (let cut = parts.length - 1; cut > 0; cut--) {
    const diffusers = byLdm.get(parts.slice(0, cut).join('.'));
    if (diffusers !== undefined) return `${diffusers}.${parts.slice(cut).join('.')}`;
  }
  return undefined;
}

/** Inverts `map` over the stored keys: each stored `prefix + ldm` key gets its diffusers name. */
function mappedSource(file: TensorSource, prefix: string, map: KeyMap, squeeze: (name: string) => boolean = () => false): WeightSource {
  const toDiffusers = new Map<string, string>();
  const byLdm = new Map([...map].map(([d, l]) => [l, d]));
  const legacyText = prefix === TEXT_PREFIX && !file.names().some((n) => n.startsWith(`${TEXT_PREFIX}text_model.`));
  for (const stored of file.names()) {
    if (!stored.startsWith(prefix)) continue;
    let ldm = stored.slice(prefix.length);
    if (legacyText) ldm = `text_model.${ldm}`; // transformers < 4.x saved CLIPTextTransformer without `text_model.`
    if (ldm.endsWith('position_ids')) continue; // a buffer (always 0..76), not a weight
    // A key with no mapping keeps its stored name, so the build reports it as unused (and what is missing instead).
    toDiffusers.set(diffusersName(ldm, byLdm) ?? stored, stored);
  }
  const storedName = (name: string): string => {
    const s = toDiffusers.get(name);
    if (s === undefined) throw new ModelError({ what: `no weight "${name}"`, where: file.path, fix: 'check has(name) first' });
    return s;
  };
  return {
    path: file.path,
    names: () => [...toDiffusers.keys()],
    has: (name) => toDiffusers.has(name),
    info: (name) => {
      const shape = file.info(storedName(name)).shape;
      return { shape: squeeze(name) && shape.length === 4 ? shape.slice(0, 2) : shape };
    },
    readFloat32: (name) => file.readFloat32(storedName(name)),
  };
}
