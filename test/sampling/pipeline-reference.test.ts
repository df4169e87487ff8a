// The full tiny text-to-image run of diffusers' StableDiffusionPipeline (refs/pipeline.safetensors): unet_tiny +
// vae_tiny, CFG 7.5, 20 steps, for each of the four schedulers, through our denoising loop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSafetensors, readPythonJson } from '../../src/io/index.ts';
import { StableDiffusion } from '../../src/models/index.ts';
import { createScheduler, denoise, type Latents } from '../../src/sampling/index.ts';
import { float32, type Tensor } from '../../src/tensor.ts';
import { referencePath, referenceSkip } from '../support/reference.ts';
import { makeTinyModelFolder } from '../support/tiny-model.ts';

const skip = referenceSkip();
let model: StableDiffusion;

before(async () => {
  if (skip) return;
  model = await StableDiffusion.load(makeTinyModelFolder(), { cacheDir: mkdtempSync(join(tmpdir(), 'collage-cache-')) });
});
after(async () => model?.release());

/** max |a − b| / max |b| */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

for (const name of ['ddim', 'euler', 'dpmpp2m', 'pndm'] as const) {
  test(`the tiny text-to-image run with ${name} reproduces diffusers' latents at every step and the image (rtol 1e-4)`, { skip }, async () => {
    const ref = openSafetensors(referencePath('diffusers/refs/pipeline.safetensors'));
    const config = (await readPythonJson(referencePath(`diffusers/schedulers/${name}/scheduler_config.json`))) as Record<string, unknown>;
    const scheduler = createScheduler(config);
    scheduler.setTimesteps(20);
    const latentsIn = ref.read('latents_in') as Tensor<'float32'>;
    const start = float32(latentsIn.shape, latentsIn.data.map((v) => v * scheduler.initNoiseSigma));
    const cond = ref.read('prompt_embeds') as Tensor<'float32'>;
    const uncond = ref.read('negative_prompt_embeds') as Tensor<'float32'>;
    const perStep: Latents[] = [];
    const final = await denoise(
      (sample, context, step) => model.unet({ sample, timestep: step.t, encoderHiddenStates: context }),
      scheduler,
      start,
      cond,
      uncond,
      { guidance: 7.5, afterStep: (x) => (perStep.push(x), x) },
    );
    const expected = ref.readFloat32(`${name}.latents_per_step`);
    const plane = final.data.length;
    assert.equal(perStep.length * plane, expected.length);
    perStep.forEach((x, i) => {
      const err = relativeError(x.data, expected.subarray(i * plane, (i + 1) * plane));
      assert.ok(err < 1e-4, `step ${i}: relative error ${err}`);
    });
    const decoded = await model.vaeDecode(float32(final.shape, final.data.map((v) => v / 0.18215)));
    const [, , h, w] = decoded.shape as [number, number, number, number];
    const nhwc = new Float32Array(h * w * 3);
    for (let c = 0; c < 3; c++) for (let p = 0; p < h * w; p++) nhwc[p * 3 + c] = Math.min(1, Math.max(0, decoded.data[c * h * w + p]! / 2 + 0.5));
    const imageErr = relativeError(nhwc, ref.readFloat32(`${name}.image`));
    assert.ok(imageErr < 1e-4, `image relative error ${imageErr}`);
    ref.close();
  });
}
