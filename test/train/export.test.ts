// The diffusers folder export (src/train/export.ts): model_index.json carries our per-model defaults, so a re-exported
// embedded model keeps its measured inversion step count.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCollageModelDefaults } from '../../src/io/index.ts';
import type { WeightSource } from '../../src/models/index.ts';
import { EMBEDDED_MODEL_DEFAULTS } from '../../src/train/embedded-defaults.ts';
import { exportDiffusersFolder, type ExportedModel } from '../../src/train/export.ts';

const root = mkdtempSync(join(tmpdir(), 'export-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** One [2] weight named `name`. */
function oneWeight(name: string): WeightSource {
  return { path: name, names: () => [name], has: (n) => n === name, info: () => ({ shape: [2] }), readFloat32: () => Float32Array.of(1, -2) };
}

function model(extra: Partial<ExportedModel> = {}): ExportedModel {
  return {
    unet: { config: { _class_name: 'UNet2DConditionModel' }, weights: oneWeight('conv_in.bias') },
    vae: { config: { _class_name: 'AutoencoderKL' }, weights: oneWeight('encoder.conv_in.bias') },
    textEncoder: { config: { _class_name: 'CLIPTextModel' }, weights: oneWeight('text_model.final_layer_norm.bias') },
    tokenizer: { vocab: { a: 0, '<|startoftext|>': 1, '<|endoftext|>': 2 }, merges: [] },
    scheduler: { _class_name: 'DDIMScheduler' },
    ...extra,
  };
}

const indexOf = (dir: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, 'model_index.json'), 'utf8')) as Record<string, unknown>;

test('model_index.json holds the embedded model defaults under "_collage_diffusion", readable by the loader', async () => {
  const dir = join(root, 'default');
  await exportDiffusersFolder(dir, model());
  const index = indexOf(dir);
  assert.equal(index['_class_name'], 'StableDiffusionPipeline');
  assert.deepEqual(index['_collage_diffusion'], EMBEDDED_MODEL_DEFAULTS);
  assert.deepEqual(parseCollageModelDefaults(index['_collage_diffusion'], dir), { inversion: { steps: EMBEDDED_MODEL_DEFAULTS.inversion!.steps } });
});

test('a model given its own defaults gets those written instead', async () => {
  const dir = join(root, 'own');
  await exportDiffusersFolder(dir, model({ collageDefaults: { inversion: { steps: 40 } } }));
  assert.deepEqual(indexOf(dir)['_collage_diffusion'], { inversion: { steps: 40 } });
});
