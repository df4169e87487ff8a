// The shared scheduler contract: argument checks (steps, strength, timesteps, shapes) and the image-to-image start
// step of diffusers' img2img `get_timesteps`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCHEDULER_IDS, createScheduler, startIndexForStrength } from '../../src/sampling/index.ts';
import { InputError } from '../../src/errors.ts';
import { float32 } from '../../src/tensor.ts';

const SD15 = {
  _class_name: 'PNDMScheduler',
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
};

function inputError(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof InputError && pattern.test(e.message);
}

for (const id of SCHEDULER_IDS) {
  test(`${id}: steps below 1, above 1000, fractional or NaN are InputErrors naming the range`, () => {
    const scheduler = createScheduler(id, SD15);
    for (const steps of [0, -3, 1001, 2.5, NaN, Infinity]) {
      assert.throws(
        () => scheduler.setTimesteps(steps),
        inputError(/steps must be an integer from 1 to 1000, got/),
      );
    }
    scheduler.setTimesteps(1000);
    assert.ok(scheduler.timesteps.length >= 1000);
  });

  test(`${id}: strength outside [0, 1] or not finite is an InputError`, () => {
    const scheduler = createScheduler(id, SD15);
    for (const strength of [-0.1, 1.01, NaN, Infinity]) {
      assert.throws(
        () => scheduler.setTimesteps(20, { strength }),
        inputError(/strength must be a number in \[0, 1\]/),
      );
    }
  });

  test(`${id}: strength 0.75 of 20 steps starts at index 5 and runs the rest of the schedule`, () => {
    const scheduler = createScheduler(id, SD15);
    scheduler.setTimesteps(20);
    const full = scheduler.timesteps;
    scheduler.setTimesteps(20, { strength: 0.75 });
    assert.equal(scheduler.beginIndex, 5);
    assert.equal(scheduler.startIndexForStrength(0.75), 5);
    assert.deepEqual(scheduler.timesteps, full.slice(5));
  });

  test(`${id}: a non-finite timestep is an InputError`, () => {
    const scheduler = createScheduler(id, SD15);
    scheduler.setTimesteps(5);
    const x = float32([1, 2], [0, 1]);
    assert.throws(
      () => scheduler.step(x, NaN, x, x),
      inputError(/timestep must be a finite number, got NaN/),
    );
  });
}

test('startIndexForStrength is diffusers get_timesteps: max(n - min(int(n * s), n), 0) * order', () => {
  assert.equal(startIndexForStrength(20, 1, 1), 0);
  assert.equal(startIndexForStrength(20, 0.3, 1), 14); // int(20 * 0.3) = int(6.000000000000001) = 6
  assert.equal(startIndexForStrength(20, 0.01, 1), 20); // nothing left to run
  assert.equal(startIndexForStrength(50, 0.8, 1), 10);
  assert.equal(startIndexForStrength(30, 0.5, 2), 30);
});

test('euler image-to-image noises the image with the sigma of its first timestep, then steps from there', () => {
  const scheduler = createScheduler('euler', SD15);
  scheduler.setTimesteps(10, { strength: 0.5 });
  const first = scheduler.timesteps[0]!;
  const sigma = scheduler.sigmas![5]!;
  assert.equal(scheduler.sigmaAt({ step: 0 }), sigma);
  assert.equal(scheduler.sigmaAt({ t: first }), sigma);
  const noisy = scheduler.addNoise(float32([1, 2], [1, -1]), float32([1, 2], [2, 0.5]), first);
  assert.ok(Math.abs(noisy.data[0]! - (1 + 2 * sigma)) < 1e-5);
  assert.ok(Math.abs(noisy.data[1]! - (-1 + 0.5 * sigma)) < 1e-5);
  const x = float32([1, 2], [0.3, 0.4]);
  assert.doesNotThrow(() => scheduler.step(x, first, x));
});

test('sigmaAt gives the same sigma for DDIM and Euler at the same training timestep', () => {
  const ddim = createScheduler('ddim', SD15);
  const euler = createScheduler('euler', { ...SD15, timestep_spacing: 'leading' });
  ddim.setTimesteps(20);
  euler.setTimesteps(20);
  assert.deepEqual(ddim.timesteps, euler.timesteps);
  for (let i = 0; i < 20; i++)
    assert.ok(
      Math.abs(ddim.sigmaAt({ step: i }) - euler.sigmaAt({ step: i })) < 1e-5 * euler.sigmaAt({ step: i }),
    );
  assert.equal(euler.sigmaAt({ step: 20 }), 0);
  assert.throws(() => euler.sigmaAt({ step: 21 }), inputError(/outside 0\.\.20/));
});

test('step rejects a model output of another shape, naming both shapes', () => {
  const scheduler = createScheduler('ddim', SD15);
  scheduler.setTimesteps(5);
  assert.throws(
    () => scheduler.step(float32([1, 3], [1, 2, 3]), scheduler.timesteps[0]!, float32([1, 2], [1, 2])),
    inputError(/modelOutput has shape \[1, 3\] but sample has \[1, 2\]/),
  );
});

test('addNoise with one timestep per batch element checks the count', () => {
  const scheduler = createScheduler('ddim', SD15);
  const x = float32([2, 1], [1, 1]);
  const noisy = scheduler.addNoise(x, float32([2, 1], [1, 1]), [0, 999]);
  const abar0 = scheduler.schedule.alphasCumprod[0]!;
  assert.ok(Math.abs(noisy.data[0]! - (Math.sqrt(abar0) + Math.sqrt(1 - abar0))) < 1e-6);
  assert.throws(() => scheduler.addNoise(x, x, [1, 2, 3]), inputError(/got 3 timesteps for a batch of 2/));
});
