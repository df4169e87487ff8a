// What a result PNG carries: the settings as an A1111-style `parameters` text (what image viewers and other tools
// read) and the full collage document with inline images and the exact settings as `collage`, so
// `collage-diffusion generate result.png` re-runs or edits it.
import { documentToJson } from '../collage/index.ts';
import type { CollageInput, GenerateResult } from './pipeline.ts';

/** PNG text-chunk keys. */
export const PARAMETERS_KEY = 'parameters';
export const COLLAGE_KEY = 'collage';

const SAMPLER_NAMES: Readonly<Record<string, string>> = {
  ddim: 'DDIM',
  euler: 'Euler',
  'euler-a': 'Euler a',
  'dpmpp-2m': 'DPM++ 2M',
  'dpmpp-2m-karras': 'DPM++ 2M Karras',
  pndm: 'PLMS',
};

/** The A1111 `parameters` text of variant k: prompt, negative prompt, then `Key: value` pairs. */
export function parametersText(result: GenerateResult, k: number, modelName: string): string {
  const { plan, options } = result;
  const layers = plan.layers.map((l) => `${l.id} (noise ${l.noise.toFixed(2)}, w+ ${l.attention.positive.toFixed(2)}, w- ${l.attention.negative.toFixed(2)})`).join('; ');
  const pairs = [
    `Steps: ${options.steps}`,
    `Sampler: ${SAMPLER_NAMES[options.scheduler] ?? options.scheduler}`,
    `CFG scale: ${options.guidance}`,
    `Seed: ${result.seeds[k]}`,
    `Size: ${plan.width}x${plan.height}`,
    `Model: ${modelName}`,
    `Collage method: ${methodName(result)}`,
    ...(layers ? [`Collage layers: ${layers}`] : []),
  ];
  return `${plan.sceneText}\n${plan.negativePrompt ? `Negative prompt: ${plan.negativePrompt}\n` : ''}${pairs.join(', ')}`;
}

function methodName(result: GenerateResult): string {
  const o = result.options;
  if (o.txt2img) return 'text-to-image';
  const parts = [o.uniformNoise ? 'uniform noise (SDEdit)' : 'per-layer noise', o.attentionMask ? 'attention mask' : 'no attention mask', o.inversion ? 'inversion' : 'no inversion'];
  return parts.join(' + ');
}

/** Both text chunks of variant k; the recorded document's `generation` holds that variant's seed and settings. */
export async function resultPngText(collage: CollageInput, result: GenerateResult, k: number, modelName: string): Promise<Record<string, string>> {
  const o = result.options;
  const generation = { ...collage.document.generation, seed: result.seeds[k]!, steps: o.steps, guidance: o.guidance, scheduler: o.scheduler, model: modelName };
  const json = await documentToJson(collage.document, collage.images, generation);
  return { [PARAMETERS_KEY]: parametersText(result, k, modelName), [COLLAGE_KEY]: JSON.stringify(json) };
}
