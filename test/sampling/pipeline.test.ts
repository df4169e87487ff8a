import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyGuidance, denoise, latentPreview, type NoisePredictor } from '../../src/sampling/pipeline.ts';
import { createScheduler } from '../../src/sampling/index.ts';
import { CancelledError, InputError } from '../../src/errors.ts';
import { float32 } from '../../src/tensor.ts';

test('guidance combines the halves as uncond + g·(cond − uncond)', () => {
  const pred = float32([2, 1, 1, 2], [1, 2, 3, 6]);
  assert.deepEqual([...applyGuidance(pred, 7.5).data], [1 + 7.5 * 2, 2 + 7.5 * 4]);
});

test('the loop feeds [uncond, cond] in one batch and marks the conditional half', async () => {
  const sched = createScheduler('ddim', {
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    beta_end: 0.012,
  });
  sched.setTimesteps(3);
  const seen: number[] = [];
  const predict: NoisePredictor = async (sample, context, _step, conditionalFrom) => {
    assert.deepEqual(sample.shape, [2, 4, 2, 2]);
    assert.equal(context.data[0], 0); // uncond rows first
    assert.equal(context.data[context.data.length - 1], 1);
    seen.push(conditionalFrom);
    return float32(sample.shape);
  };
  const cond = float32([1, 77, 4], new Float32Array(308).fill(1));
  const uncond = float32([1, 77, 4]);
  await denoise(predict, sched, float32([1, 4, 2, 2]), cond, uncond, { guidance: 5 });
  assert.deepEqual(seen, [1, 1, 1]);
});

test('aborting at step 3 stops before the next model call with CancelledError', async () => {
  const sched = createScheduler('euler', {
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    beta_end: 0.012,
  });
  sched.setTimesteps(20);
  const controller = new AbortController();
  let calls = 0;
  const predict: NoisePredictor = async (sample) => {
    calls++;
    return float32(sample.shape);
  };
  const run = denoise(predict, sched, float32([1, 4, 2, 2]), float32([1, 77, 4]), undefined, {
    guidance: 1,
    onProgress: (e) => e.step === 3 && controller.abort(),
    signal: controller.signal,
  });
  await assert.rejects(run, CancelledError);
  assert.equal(calls, 3);
});

test('guidance that is not finite is a clear input error', async () => {
  const sched = createScheduler('ddim', {});
  sched.setTimesteps(2);
  const predict: NoisePredictor = async (s) => s;
  await assert.rejects(
    denoise(predict, sched, float32([1, 4, 1, 1]), float32([1, 77, 1]), undefined, { guidance: Number.NaN }),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /guidance must be a finite number/);
      return true;
    },
  );
});

test('a latent preview maps each latent pixel to one RGB pixel', () => {
  const latents = float32([1, 4, 1, 2], [1, 0, 0, 0, 0, 0, 0, 0]);
  const p = latentPreview(latents);
  assert.equal(p.width, 2);
  assert.equal(p.height, 1);
  assert.deepEqual(
    [...p.data.slice(0, 4)],
    [Math.round(1.298 * 127.5), Math.round(1.207 * 127.5), Math.round(1.208 * 127.5), 255],
  );
  assert.deepEqual([...p.data.slice(4, 8)], [128, 128, 128, 255]);
});
