// A diffusers Stable Diffusion folder holding only what the native-size reader looks at (model_index.json and the
// unet/vae config.json files, no weights), written to a temp dir: an SD-1-style folder without 4 GB of weights.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** SD 1.5 (runwayml/stable-diffusion-v1-5): unet sample_size 64, a 4-block VAE (scale 8) → 512 px. */
export const SD15_SIZES = { unetSampleSize: 64, vaeBlockOutChannels: [128, 256, 512, 512] } as const;
/** SD 2.1 (stabilityai/stable-diffusion-2-1): unet sample_size 96, the same VAE → 768 px. */
export const SD21_SIZES = { unetSampleSize: 96, vaeBlockOutChannels: [128, 256, 512, 512] } as const;

/** Writes the folder and returns its path; `unetSampleSize` undefined leaves the key out (diffusers' None). */
export function makeConfigOnlyFolder(sizes: { unetSampleSize?: number; vaeBlockOutChannels: readonly number[] }): string {
  const dir = mkdtempSync(join(tmpdir(), 'collage-config-folder-'));
  writeFileSync(join(dir, 'model_index.json'), JSON.stringify({ _class_name: 'StableDiffusionPipeline', unet: ['diffusers', 'UNet2DConditionModel'], vae: ['diffusers', 'AutoencoderKL'] }));
  mkdirSync(join(dir, 'unet'));
  mkdirSync(join(dir, 'vae'));
  const unet = { _class_name: 'UNet2DConditionModel', ...(sizes.unetSampleSize === undefined ? {} : { sample_size: sizes.unetSampleSize }), cross_attention_dim: 768, attention_head_dim: 8 };
  const blocks = sizes.vaeBlockOutChannels.length;
  const vae = { _class_name: 'AutoencoderKL', block_out_channels: sizes.vaeBlockOutChannels, down_block_types: Array(blocks).fill('DownEncoderBlock2D'), up_block_types: Array(blocks).fill('UpDecoderBlock2D'), layers_per_block: 2, sample_size: 512 };
  writeFileSync(join(dir, 'unet', 'config.json'), JSON.stringify(unet, null, 2));
  writeFileSync(join(dir, 'vae', 'config.json'), JSON.stringify(vae, null, 2));
  return dir;
}
