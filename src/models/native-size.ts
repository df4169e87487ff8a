// A model's native image size: the canvas it was trained at, read from its configs without opening any weights
// (the server lists it; the editor starts new collages at it). diffusers' pipelines default to the same number:
// `unet.config.sample_size * vae_scale_factor` (pipeline_stable_diffusion.py, `height = height or ...`).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.ts';
import { readPythonJson, resolveModelConfig, type AutoencoderKLConfig, type UNet2DConditionConfig } from '../io/index.ts';
import { SD1_UNET_CONFIG, SD1_VAE_CONFIG } from './checkpoint.ts';
import { vaeScaleFactor } from './vae.ts';

/**
 * Native image side, px: UNet `sample_size` (latent px) × 2^(len(VAE block_out_channels) − 1).
 * SD 1.5: 64 × 8 = 512; SD 2.1: 96 × 8 = 768; the embedded model: 16 × 8 = 128.
 * @returns undefined when the UNet config has no `sample_size` (diffusers' default is None)
 */
export function nativeImageSizePx(unet: UNet2DConditionConfig, vae: AutoencoderKLConfig): number | undefined {
  return unet.sample_size === undefined ? undefined : unet.sample_size * vaeScaleFactor(vae);
}

/**
 * Reads the native image side of a model, px, from what `StableDiffusion.load` accepts: a diffusers folder (only
 * `unet/config.json` and `vae/config.json` are read) or a single-file checkpoint (loaded with the SD 1.x configs: 512).
 * @param path a diffusers Stable Diffusion folder or a `.safetensors` checkpoint file
 * @returns undefined when the path does not exist or the UNet config has no `sample_size`
 * @throws InputError naming the file when a config is unreadable or has a mistyped key
 */
export async function readNativeImageSizePx(path: string): Promise<number | undefined> {
  if (!existsSync(path)) return undefined;
  if (statSync(path).isFile()) return nativeImageSizePx(SD1_UNET_CONFIG, SD1_VAE_CONFIG);
  const unetPath = join(path, 'unet', 'config.json');
  const vaePath = join(path, 'vae', 'config.json');
  if (!existsSync(unetPath) || !existsSync(vaePath)) return undefined;
  const unet = resolveModelConfig('UNet2DConditionModel', await readObject(unetPath), unetPath) as UNet2DConditionConfig;
  const vae = resolveModelConfig('AutoencoderKL', await readObject(vaePath), vaePath) as AutoencoderKLConfig;
  return nativeImageSizePx(unet, vae);
}

async function readObject(path: string): Promise<Record<string, unknown>> {
  const json = await readPythonJson(path);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError({ what: `config.json holds ${Array.isArray(json) ? 'a list' : String(json)}, not an object`, where: path, fix: 'repair or re-download the model folder' });
  }
  return json as Record<string, unknown>;
}
