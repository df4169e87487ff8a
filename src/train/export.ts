// Writes a trained model as a diffusers Stable Diffusion folder (architecture.md "Weights are the ecosystem's"):
// model_index.json (with our per-model defaults under "_collage_diffusion", which diffusers skips), unet/, vae/,
// text_encoder/ (float16 safetensors + config.json), tokenizer/ (vocab.json, merges.txt, tokenizer_config.json,
// special_tokens_map.json) and scheduler/, so our loader opens it like SD 1.5.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { COLLAGE_MODEL_INDEX_KEY, writeFileAtomic, type CollageModelDefaults } from '../io/index.ts';
import { float32ToFloat16 } from '../io/index.ts';
import { writeSafetensors, type StoredTensor } from '../io/index.ts';
import type { WeightSource } from '../models/index.ts';
import { CLIP_BOS_TOKEN, CLIP_EOS_TOKEN } from '../text/index.ts';
import { mergesText, type BpeVocabulary } from './bpe-train.ts';
import { EMBEDDED_MODEL_DEFAULTS } from './embedded-defaults.ts';

/** What goes into the folder. Configs are raw config.json objects (diffusers keys). */
export interface ExportedModel {
  readonly unet: { readonly config: Readonly<Record<string, unknown>>; readonly weights: WeightSource };
  readonly vae: { readonly config: Readonly<Record<string, unknown>>; readonly weights: WeightSource };
  readonly textEncoder: { readonly config: Readonly<Record<string, unknown>>; readonly weights: WeightSource };
  readonly tokenizer: BpeVocabulary;
  readonly scheduler: Readonly<Record<string, unknown>>;
  /** Our settings' defaults for this model, written under model_index.json's "_collage_diffusion". @default EMBEDDED_MODEL_DEFAULTS */
  readonly collageDefaults?: CollageModelDefaults;
}

const MODEL_INDEX = {
  _class_name: 'StableDiffusionPipeline',
  _diffusers_version: '0.27.2',
  feature_extractor: [null, null],
  requires_safety_checker: false,
  safety_checker: [null, null],
  scheduler: ['diffusers', 'DDIMScheduler'],
  text_encoder: ['transformers', 'CLIPTextModel'],
  tokenizer: ['transformers', 'CLIPTokenizer'],
  unet: ['diffusers', 'UNet2DConditionModel'],
  vae: ['diffusers', 'AutoencoderKL'],
};

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n');

/** Every weight of `source` as float16. */
function float16Tensors(source: WeightSource): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {};
  for (const name of source.names()) out[name] = { dtype: 'float16', shape: [...source.info(name).shape], data: float32ToFloat16(source.readFloat32(name)) };
  return out;
}

/**
 * Writes the folder (each file atomically; existing files are replaced).
 * @returns total bytes of the files written
 */
export async function exportDiffusersFolder(dir: string, model: ExportedModel): Promise<number> {
  for (const sub of ['unet', 'vae', 'text_encoder', 'tokenizer', 'scheduler']) mkdirSync(join(dir, sub), { recursive: true });
  await writeFileAtomic(join(dir, 'model_index.json'), json({ ...MODEL_INDEX, [COLLAGE_MODEL_INDEX_KEY]: model.collageDefaults ?? EMBEDDED_MODEL_DEFAULTS }));
  await writeFileAtomic(join(dir, 'unet', 'config.json'), json({ ...model.unet.config, _diffusers_version: '0.27.2' }));
  await writeSafetensors(join(dir, 'unet', 'diffusion_pytorch_model.safetensors'), float16Tensors(model.unet.weights), { format: 'pt' });
  await writeFileAtomic(join(dir, 'vae', 'config.json'), json({ ...model.vae.config, _diffusers_version: '0.27.2' }));
  await writeSafetensors(join(dir, 'vae', 'diffusion_pytorch_model.safetensors'), float16Tensors(model.vae.weights), { format: 'pt' });
  const { _class_name: textClass, ...textConfig } = model.textEncoder.config;
  await writeFileAtomic(join(dir, 'text_encoder', 'config.json'), json({ architectures: [textClass ?? 'CLIPTextModel'], model_type: 'clip_text_model', torch_dtype: 'float16', ...textConfig }));
  await writeSafetensors(join(dir, 'text_encoder', 'model.safetensors'), float16Tensors(model.textEncoder.weights), { format: 'pt' });
  await writeFileAtomic(join(dir, 'tokenizer', 'vocab.json'), json(model.tokenizer.vocab));
  await writeFileAtomic(join(dir, 'tokenizer', 'merges.txt'), new TextEncoder().encode(mergesText(model.tokenizer.merges)));
  const special = { bos_token: CLIP_BOS_TOKEN, eos_token: CLIP_EOS_TOKEN, pad_token: CLIP_EOS_TOKEN, unk_token: CLIP_EOS_TOKEN };
  await writeFileAtomic(join(dir, 'tokenizer', 'special_tokens_map.json'), json(special));
  await writeFileAtomic(join(dir, 'tokenizer', 'tokenizer_config.json'), json({ ...special, tokenizer_class: 'CLIPTokenizer', model_max_length: 77, do_lower_case: true, clean_up_tokenization_spaces: true }));
  await writeFileAtomic(join(dir, 'scheduler', 'scheduler_config.json'), json({ ...model.scheduler, _diffusers_version: '0.27.2' }));
  return folderBytes(dir);
}

/** Total size of the files under `dir`, bytes. */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    total += s.isDirectory() ? folderBytes(path) : s.size;
  }
  return total;
}
