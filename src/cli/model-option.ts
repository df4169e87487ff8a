// `--model DIR|FILE|embedded`: where a command's model comes from. `embedded` (the default) is the small model
// shipped in this package's models/embedded/, trained by `npm run train:embedded`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ModelError } from '../errors.ts';
import { StableDiffusion } from '../models/index.ts';

/** The `--model` value that names the shipped model. */
export const EMBEDDED_MODEL = 'embedded';

/** The folder of the shipped model. */
export const EMBEDDED_MODEL_DIR = fileURLToPath(new URL('../../models/embedded', import.meta.url));

/** The path a `--model` value names. @throws ModelError when `embedded` is asked for and not in this checkout */
export function resolveModelPath(spec: string): string {
  if (spec !== EMBEDDED_MODEL) return spec;
  if (!existsSync(EMBEDDED_MODEL_DIR)) {
    throw new ModelError({
      what: 'the embedded default model is not in this checkout',
      where: EMBEDDED_MODEL_DIR,
      fix: 'train it with `npm run train:embedded`, or pass --model with a diffusers Stable Diffusion folder or an SD 1.x .safetensors checkpoint',
    });
  }
  return EMBEDDED_MODEL_DIR;
}

/** Opens the model a `--model` value names (graphs are built on first use and cached). */
export async function loadModel(spec: string): Promise<StableDiffusion> {
  return StableDiffusion.load(resolveModelPath(spec));
}
