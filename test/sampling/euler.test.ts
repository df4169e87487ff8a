// Euler against diffusers 0.27 EulerDiscreteScheduler (diffusers/refs/schedulers.safetensors, euler_v of
// diffusers-extra; tolerances from their READMEs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from '../../src/sampling/index.ts';
import { float32 } from '../../src/tensor.ts';
import { BugError, InputError } from '../../src/errors.ts';
import { referenceSkip } from '../support/reference.ts';
import {
  loadReference,
  loadSchedulerConfig,
  maxRelativeError,
  runTrajectory,
  tensorOf,
  trajectoryError,
} from '../support/scheduler-reference.ts';

const SD15 = 'diffusers/schedulers/sd15_scheduler_config.json';

for (const [name, file, config] of [
  ['euler', 'diffusers/refs/schedulers.safetensors', 'diffusers/schedulers/euler/scheduler_config.json'],
  [
    'euler_v',
    'diffusers-extra/refs/schedulers_extra.safetensors',
    'diffusers-extra/schedulers/euler_v/scheduler_config.json',
  ],
] as const) {
  test(
    `${name} trajectory matches diffusers timesteps, sigmas, model_inputs, prev and x0 (rtol 1e-4)`,
    { skip: referenceSkip() },
    () => {
      const ref = loadReference(file);
      const scheduler = createScheduler(loadSchedulerConfig(config));
      scheduler.setTimesteps(20);
      assert.deepEqual(scheduler.timesteps, Array.from(tensorOf(ref, `${name}.timesteps`).data));
      assert.ok(maxRelativeError(scheduler.sigmas!, tensorOf(ref, `${name}.sigmas`).data) < 1e-6);
      assert.ok(Math.abs(scheduler.initNoiseSigma - 14.614645004272461) < 1e-5);
      const run = runTrajectory(scheduler, tensorOf(ref, 'x_T_unit'), tensorOf(ref, 'model_outputs'));
      assert.ok(trajectoryError(run.modelInputs, tensorOf(ref, `${name}.model_inputs`)).maxRel < 1e-4);
      assert.ok(trajectoryError(run.prevSamples, tensorOf(ref, `${name}.prev_samples`)).maxRel < 1e-4);
      assert.ok(
        trajectoryError(run.predOriginalSamples, tensorOf(ref, `${name}.pred_original_samples`)).maxRel <
          1e-4,
      );
    },
  );
}

test(
  'euler init_noise_sigma is sqrt(sigma_max^2 + 1) for leading spacing and sigma_max otherwise',
  { skip: referenceSkip() },
  () => {
    const leading = createScheduler('euler', { ...loadSchedulerConfig(SD15), timestep_spacing: 'leading' });
    leading.setTimesteps(20);
    const sigmaMax = leading.sigmas![0]!; // 11.0283 at t = 951
    assert.ok(Math.abs(sigmaMax - 11.028334617614746) < 1e-5);
    assert.ok(Math.abs(leading.initNoiseSigma - Math.sqrt(sigmaMax ** 2 + 1)) < 1e-5);
    const trailing = createScheduler('euler', { ...loadSchedulerConfig(SD15), timestep_spacing: 'trailing' });
    trailing.setTimesteps(20);
    assert.equal(trailing.initNoiseSigma, trailing.sigmas![0]);
  },
);

test('euler scale_model_input divides by sqrt(sigma^2 + 1) of the current step', () => {
  const scheduler = createScheduler('euler', {
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    beta_end: 0.012,
  });
  scheduler.setTimesteps(4);
  const sigma = scheduler.sigmas![0]!;
  const scaled = scheduler.scaleModelInput(float32([2], [1, -2]), scheduler.timesteps[0]!);
  assert.ok(Math.abs(scaled.data[0]! - 1 / Math.sqrt(sigma * sigma + 1)) < 1e-7);
  assert.ok(Math.abs(scaled.data[1]! + 2 / Math.sqrt(sigma * sigma + 1)) < 1e-7);
});

test('euler rejects a timestep out of order, naming the expected one', () => {
  const scheduler = createScheduler('euler', {});
  scheduler.setTimesteps(4);
  const x = float32([2], [1, 2]);
  const [first, second] = scheduler.timesteps;
  assert.throws(
    () => scheduler.step(x, second!, x),
    (e: unknown) =>
      e instanceof InputError && e.message.includes(`expected ${first}`) && /in order/.test(e.message),
  );
  scheduler.step(x, first!, x);
  assert.doesNotThrow(() => scheduler.scaleModelInput(x, second!));
});

test(
  'euler with Karras sigmas uses the same rho-7 sigmas as DPM++ 2M Karras and unrounded timesteps',
  { skip: referenceSkip() },
  () => {
    const ref = loadReference('diffusers-extra/refs/schedulers_extra.safetensors');
    const scheduler = createScheduler('euler', { ...loadSchedulerConfig(SD15), use_karras_sigmas: true });
    scheduler.setTimesteps(20);
    // Euler's ends are the sigmas interpolated at t = 999 and t = 0 (linspace), i.e. DPM's training-schedule ends.
    assert.ok(maxRelativeError(scheduler.sigmas!, tensorOf(ref, 'dpmpp2m_karras.sigmas').data) < 1e-6);
    const rounded = scheduler.timesteps.map(Math.round);
    assert.deepEqual(rounded, Array.from(tensorOf(ref, 'dpmpp2m_karras.timesteps').data));
    assert.ok(scheduler.timesteps.some((t) => !Number.isInteger(t)));
  },
);

test('euler initNoiseSigma before setTimesteps is a BugError asking for setTimesteps', () => {
  const scheduler = createScheduler('euler', {});
  assert.throws(
    () => scheduler.initNoiseSigma,
    (e: unknown) => e instanceof BugError && /call setTimesteps/.test(e.message),
  );
});
