// Euler ancestral against diffusers 0.27 EulerAncestralDiscreteScheduler with the recorded per-step noises
// (diffusers-extra/refs/schedulers_extra.safetensors; rtol 1e-4 from its README).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from '../../src/sampling/index.ts';
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

test(
  'euler ancestral with the recorded noises matches diffusers model_inputs, prev and x0 (rtol 1e-4)',
  { skip: referenceSkip() },
  () => {
    const ref = loadReference('diffusers-extra/refs/schedulers_extra.safetensors');
    const scheduler = createScheduler(
      loadSchedulerConfig('diffusers-extra/schedulers/euler_a/scheduler_config.json'),
    );
    assert.equal(scheduler.className, 'EulerAncestralDiscreteScheduler');
    scheduler.setTimesteps(20);
    assert.deepEqual(scheduler.timesteps, Array.from(tensorOf(ref, 'euler_a.timesteps').data));
    assert.ok(maxRelativeError(scheduler.sigmas!, tensorOf(ref, 'euler_a.sigmas').data) < 1e-6);
    const run = runTrajectory(
      scheduler,
      tensorOf(ref, 'x_T_unit'),
      tensorOf(ref, 'model_outputs'),
      tensorOf(ref, 'euler_a.noises'),
    );
    assert.ok(trajectoryError(run.modelInputs, tensorOf(ref, 'euler_a.model_inputs')).maxRel < 1e-4);
    assert.ok(trajectoryError(run.prevSamples, tensorOf(ref, 'euler_a.prev_samples')).maxRel < 1e-4);
    assert.ok(
      trajectoryError(run.predOriginalSamples, tensorOf(ref, 'euler_a.pred_original_samples')).maxRel < 1e-4,
    );
  },
);

test('euler ancestral without noise is an InputError pointing at the seeded Rng', () => {
  const scheduler = createScheduler('euler-a', {});
  scheduler.setTimesteps(3);
  const x = float32([2], [1, 2]);
  assert.throws(
    () => scheduler.step(x, scheduler.timesteps[0]!, x),
    (e: unknown) => e instanceof InputError && /fresh noise/.test(e.message) && /rng/.test(e.message),
  );
});
