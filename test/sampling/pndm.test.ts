// PNDM (PLMS, skip_prk_steps) against diffusers 0.27 PNDMScheduler, SD 1.5's own config
// (diffusers/refs/schedulers.safetensors; 21 steps, rtol 1e-4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from '../../src/sampling/index.ts';
import { ModelError } from '../../src/errors.ts';
import { referenceSkip } from '../support/reference.ts';
import {
  loadReference,
  loadSchedulerConfig,
  runTrajectory,
  tensorOf,
  trajectoryError,
} from '../support/scheduler-reference.ts';

test(
  'pndm runs 21 steps and matches diffusers model_inputs and prev_samples (rtol 1e-4)',
  { skip: referenceSkip() },
  () => {
    const ref = loadReference('diffusers/refs/schedulers.safetensors');
    const scheduler = createScheduler(loadSchedulerConfig('diffusers/schedulers/sd15_scheduler_config.json'));
    assert.equal(scheduler.className, 'PNDMScheduler');
    scheduler.setTimesteps(20);
    assert.deepEqual(scheduler.timesteps, Array.from(tensorOf(ref, 'pndm.timesteps').data));
    assert.equal(scheduler.timesteps.length, 21);
    const run = runTrajectory(scheduler, tensorOf(ref, 'x_T_unit'), tensorOf(ref, 'model_outputs'));
    assert.ok(trajectoryError(run.modelInputs, tensorOf(ref, 'pndm.model_inputs')).maxRel < 1e-4);
    assert.ok(trajectoryError(run.prevSamples, tensorOf(ref, 'pndm.prev_samples')).maxRel < 1e-4);
  },
);

test('pndm without skip_prk_steps is a ModelError naming the key and the fix', () => {
  assert.throws(
    () => createScheduler({ _class_name: 'PNDMScheduler', beta_schedule: 'scaled_linear' }),
    (e: unknown) =>
      e instanceof ModelError && /skip_prk_steps/.test(e.message) && /set it to true/.test(e.message),
  );
});
