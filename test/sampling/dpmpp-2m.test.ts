// DPM-Solver++ 2M against diffusers 0.27 DPMSolverMultistepScheduler, plain and with Karras sigmas
// (diffusers/refs/schedulers.safetensors, diffusers-extra/refs/schedulers_extra.safetensors; rtol 1e-4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from '../../src/sampling/index.ts';
import { referenceSkip } from '../support/reference.ts';
import {
  loadReference,
  loadSchedulerConfig,
  maxRelativeError,
  runTrajectory,
  tensorOf,
  trajectoryError,
} from '../support/scheduler-reference.ts';

for (const [name, file, config] of [
  ['dpmpp2m', 'diffusers/refs/schedulers.safetensors', 'diffusers/schedulers/dpmpp2m/scheduler_config.json'],
  [
    'dpmpp2m_karras',
    'diffusers-extra/refs/schedulers_extra.safetensors',
    'diffusers-extra/schedulers/dpmpp2m_karras/scheduler_config.json',
  ],
] as const) {
  test(
    `${name} trajectory matches diffusers timesteps, sigmas, model_inputs and prev_samples (rtol 1e-4)`,
    { skip: referenceSkip() },
    () => {
      const ref = loadReference(file);
      const scheduler = createScheduler(loadSchedulerConfig(config));
      scheduler.setTimesteps(20);
      assert.deepEqual(scheduler.timesteps, Array.from(tensorOf(ref, `${name}.timesteps`).data));
      assert.ok(maxRelativeError(scheduler.sigmas!, tensorOf(ref, `${name}.sigmas`).data) < 1e-6);
      assert.equal(scheduler.initNoiseSigma, 1);
      const run = runTrajectory(scheduler, tensorOf(ref, 'x_T_unit'), tensorOf(ref, 'model_outputs'));
      assert.ok(trajectoryError(run.modelInputs, tensorOf(ref, `${name}.model_inputs`)).maxRel < 1e-4);
      assert.ok(trajectoryError(run.prevSamples, tensorOf(ref, `${name}.prev_samples`)).maxRel < 1e-4);
    },
  );
}

test(
  'dpmpp-2m-karras id on the SD 1.5 config gives the Karras timesteps of diffusers',
  { skip: referenceSkip() },
  () => {
    const ref = loadReference('diffusers-extra/refs/schedulers_extra.safetensors');
    const scheduler = createScheduler(
      'dpmpp-2m-karras',
      loadSchedulerConfig('diffusers/schedulers/sd15_scheduler_config.json'),
    );
    scheduler.setTimesteps(20);
    assert.deepEqual(
      scheduler.timesteps,
      [999, 962, 921, 876, 827, 772, 710, 640, 561, 474, 380, 285, 197, 123, 69, 35, 15, 6, 2, 0],
    );
    assert.ok(maxRelativeError(scheduler.sigmas!, tensorOf(ref, 'dpmpp2m_karras.sigmas').data) < 1e-6);
  },
);

test(
  'dpmpp-2m reset() clears the multistep history so a second run repeats the first',
  { skip: referenceSkip() },
  () => {
    const ref = loadReference('diffusers/refs/schedulers.safetensors');
    const scheduler = createScheduler(
      loadSchedulerConfig('diffusers/schedulers/dpmpp2m/scheduler_config.json'),
    );
    scheduler.setTimesteps(20);
    const first = runTrajectory(scheduler, tensorOf(ref, 'x_T_unit'), tensorOf(ref, 'model_outputs'));
    scheduler.reset();
    const second = runTrajectory(scheduler, tensorOf(ref, 'x_T_unit'), tensorOf(ref, 'model_outputs'));
    assert.deepEqual(second.prevSamples[19], first.prevSamples[19]);
    assert.ok(trajectoryError(second.prevSamples, tensorOf(ref, 'dpmpp2m.prev_samples')).maxRel < 1e-4);
  },
);
