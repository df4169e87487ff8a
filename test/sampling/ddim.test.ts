// DDIM against diffusers 0.27 DDIMScheduler (../shared/reference: diffusers/refs/schedulers.safetensors and
// diffusers-extra/refs/schedulers_extra.safetensors; tolerances from their READMEs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DdimScheduler, createScheduler } from '../../src/sampling/index.ts';
import { float32 } from '../../src/tensor.ts';
import { InputError } from '../../src/errors.ts';
import { referenceSkip } from '../support/reference.ts';
import {
  loadReference,
  loadSchedulerConfig,
  maxRelativeError,
  runTrajectory,
  tensorOf,
  trajectoryError,
} from '../support/scheduler-reference.ts';

const BASE = 'diffusers/refs/schedulers.safetensors';
const EXTRA = 'diffusers-extra/refs/schedulers_extra.safetensors';

test(
  'ddim trajectory matches diffusers model_inputs, prev_samples and pred_original_samples (rtol 1e-4)',
  { skip: referenceSkip() },
  () => {
    const ref = loadReference(BASE);
    const scheduler = createScheduler(loadSchedulerConfig('diffusers/schedulers/ddim/scheduler_config.json'));
    scheduler.setTimesteps(20);
    assert.deepEqual(scheduler.timesteps, Array.from(tensorOf(ref, 'ddim.timesteps').data));
    assert.equal(scheduler.initNoiseSigma, 1);
    const run = runTrajectory(scheduler, tensorOf(ref, 'x_T_unit'), tensorOf(ref, 'model_outputs'));
    assert.ok(trajectoryError(run.modelInputs, tensorOf(ref, 'ddim.model_inputs')).maxRel < 1e-4);
    assert.ok(trajectoryError(run.prevSamples, tensorOf(ref, 'ddim.prev_samples')).maxRel < 1e-4);
    assert.ok(
      trajectoryError(run.predOriginalSamples, tensorOf(ref, 'ddim.pred_original_samples')).maxRel < 1e-4,
    );
  },
);

test('ddim with v_prediction matches the ddim_v trajectory (rtol 1e-4)', { skip: referenceSkip() }, () => {
  const ref = loadReference(EXTRA);
  const scheduler = createScheduler(
    loadSchedulerConfig('diffusers-extra/schedulers/ddim_v/scheduler_config.json'),
  );
  scheduler.setTimesteps(20);
  assert.deepEqual(scheduler.timesteps, Array.from(tensorOf(ref, 'ddim_v.timesteps').data));
  const run = runTrajectory(scheduler, tensorOf(ref, 'x_T_unit'), tensorOf(ref, 'model_outputs'));
  assert.ok(trajectoryError(run.modelInputs, tensorOf(ref, 'ddim_v.model_inputs')).maxRel < 1e-4);
  assert.ok(trajectoryError(run.prevSamples, tensorOf(ref, 'ddim_v.prev_samples')).maxRel < 1e-4);
  assert.ok(
    trajectoryError(run.predOriginalSamples, tensorOf(ref, 'ddim_v.pred_original_samples')).maxRel < 1e-4,
  );
});

test('add_noise matches diffusers for per-sample timesteps (atol 1e-6)', { skip: referenceSkip() }, () => {
  const ref = loadReference(BASE);
  const scheduler = createScheduler(loadSchedulerConfig('diffusers/schedulers/ddim/scheduler_config.json'));
  const original = tensorOf(ref, 'add_noise.original');
  const noise = tensorOf(ref, 'add_noise.noise');
  const noisy = scheduler.addNoise(
    float32(original.shape, Float32Array.from(original.data)),
    float32(noise.shape, Float32Array.from(noise.data)),
    Array.from(tensorOf(ref, 'add_noise.timesteps').data),
  );
  const expected = tensorOf(ref, 'add_noise.noisy').data;
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++)
    maxAbs = Math.max(maxAbs, Math.abs(noisy.data[i]! - expected[i]!));
  assert.ok(maxAbs < 1e-6, `max abs error ${maxAbs}`);
  assert.ok(maxRelativeError(noisy.data, expected) < 1e-6);
});

test('ddim with eta 1 adds sigma_t times the caller noise (eq. 16)', () => {
  const scheduler = new DdimScheduler(
    {
      num_train_timesteps: 1000,
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      prediction_type: 'epsilon',
      timestep_spacing: 'leading',
      steps_offset: 1,
      clip_sample: false,
      clip_sample_range: 1,
      set_alpha_to_one: false,
    },
    { eta: 1 },
  );
  scheduler.setTimesteps(10);
  const t = scheduler.timesteps[2]!; // 701, previous 601
  const x = float32([1, 4], [0.5, -1, 2, 0]);
  const eps = float32([1, 4], [0.1, 0.2, -0.3, 1]);
  const noise = float32([1, 4], [1, -2, 0.5, 3]);
  const zero = float32([1, 4], [0, 0, 0, 0]);
  const withNoise = scheduler.step(eps, t, x, noise).prevSample.data;
  const withoutNoise = scheduler.step(eps, t, x, zero).prevSample.data;
  const a = scheduler.schedule.alphasCumprod[701]!;
  const aPrev = scheduler.schedule.alphasCumprod[601]!;
  const sigmaT = Math.sqrt(((1 - aPrev) / (1 - a)) * (1 - a / aPrev));
  for (let i = 0; i < 4; i++)
    assert.ok(Math.abs(withNoise[i]! - withoutNoise[i]! - sigmaT * noise.data[i]!) < 1e-5);
  assert.ok(sigmaT > 0.1, `sigma_t ${sigmaT}`);
});

test('ddim with eta > 0 and no noise is an InputError that says to pass noise', () => {
  const scheduler = createScheduler(
    'ddim',
    { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 },
    { eta: 0.5 },
  );
  scheduler.setTimesteps(5);
  const x = float32([1, 2], [1, 2]);
  assert.throws(
    () => scheduler.step(x, scheduler.timesteps[0]!, x),
    (e: unknown) => e instanceof InputError && /needs noise/.test(e.message) && /rng\.normal/.test(e.message),
  );
});
