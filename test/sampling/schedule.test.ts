// The shared schedule maths against diffusers 0.27: alphas_cumprod, every timestep_spacing of every scheduler
// (manifest.json `schedulers.<name>.timesteps_by_spacing`), Karras sigmas and timestep <-> sigma conversion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  TIMESTEP_SPACINGS,
  createScheduler,
  noiseSchedule,
  sigmaAtTimestep,
  timestepForSigma,
} from '../../src/sampling/index.ts';
import { numpyLinspace, roundHalfEven, spacedTimesteps } from '../../src/sampling/schedule.ts';
import { referencePath, referenceSkip } from '../support/reference.ts';
import {
  loadReference,
  loadSchedulerConfig,
  maxRelativeError,
  tensorOf,
} from '../support/scheduler-reference.ts';

const SD15 = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
} as const;

test(
  'scaled_linear alphas_cumprod matches diffusers to 5e-7 relative at every timestep',
  { skip: referenceSkip() },
  () => {
    const expected = tensorOf(loadReference('diffusers/refs/schedulers.safetensors'), 'alphas_cumprod').data;
    const actual = noiseSchedule(SD15).alphasCumprod;
    assert.equal(actual.length, 1000);
    let worst = 0;
    for (let t = 0; t < 1000; t++)
      worst = Math.max(worst, Math.abs(actual[t]! - expected[t]!) / expected[t]!);
    assert.ok(worst < 5e-7, `max relative error ${worst}`);
    assert.equal(actual[0], expected[0]); // 1 - beta_0 exactly
  },
);

interface SpacingEntry {
  readonly timesteps: number[];
  readonly sigmas?: number[];
}

for (const name of ['ddim', 'euler', 'dpmpp2m', 'pndm'] as const) {
  test(
    `${name} timesteps (and sigmas) for leading, linspace and trailing spacing match manifest.json`,
    { skip: referenceSkip() },
    () => {
      const manifest = JSON.parse(readFileSync(referencePath('diffusers/manifest.json'), 'utf8')) as {
        schedulers: Record<string, { timesteps_by_spacing: Record<string, SpacingEntry> }>;
      };
      const bySpacing = manifest.schedulers[name]!.timesteps_by_spacing;
      const config = loadSchedulerConfig(`diffusers/schedulers/${name}/scheduler_config.json`);
      for (const spacing of TIMESTEP_SPACINGS) {
        const scheduler = createScheduler({ ...config, timestep_spacing: spacing });
        scheduler.setTimesteps(20);
        const expected = bySpacing[spacing]!;
        assert.deepEqual(scheduler.timesteps, expected.timesteps, `${name} ${spacing}`);
        if (expected.sigmas)
          assert.ok(maxRelativeError(scheduler.sigmas!, expected.sigmas) < 1e-6, `${name} ${spacing} sigmas`);
      }
    },
  );
}

// Expected lists printed by numpy 1.24: (arange(7) * (1000 // 7)).round()[::-1] + 1, linspace(0, 999, 7).round()[::-1],
// round(arange(1000, 0, -1000 / 7)) - 1.
test('spacings follow diffusers formulas for 7 steps (leading with offset, rounded linspace, trailing)', () => {
  assert.deepEqual(spacedTimesteps('leading', 7, 1000, 1, true), [853, 711, 569, 427, 285, 143, 1]);
  assert.deepEqual(spacedTimesteps('linspace', 7, 1000, 1, true), [999, 832, 666, 500, 333, 166, 0]);
  assert.deepEqual(spacedTimesteps('trailing', 7, 1000, 1, true), [999, 856, 713, 570, 428, 285, 142]);
});

test('roundHalfEven rounds halves to the even neighbour like numpy', () => {
  assert.deepEqual([0.5, 1.5, 2.5, 499.5, -0.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 500, -0, 2, 3]);
  assert.deepEqual(Array.from(numpyLinspace(0, 999, 3)), [0, 499.5, 999]);
});

test('sigma at a fractional timestep interpolates linearly and timestepForSigma inverts it at integers', () => {
  const schedule = noiseSchedule(SD15);
  const mid = sigmaAtTimestep(schedule, 500.25);
  assert.ok(Math.abs(mid - (0.75 * schedule.sigmas[500]! + 0.25 * schedule.sigmas[501]!)) < 1e-6);
  for (const t of [0, 1, 250, 999])
    assert.ok(Math.abs(timestepForSigma(schedule, schedule.sigmas[t]!) - t) < 1e-3, `t ${t}`);
  assert.equal(timestepForSigma(schedule, 1e-6), 0);
  assert.equal(timestepForSigma(schedule, 1e6), 999);
});

test('linear and squaredcos_cap_v2 betas have diffusers end points', () => {
  const linear = noiseSchedule({
    num_train_timesteps: 1000,
    beta_start: 0.0001,
    beta_end: 0.02,
    beta_schedule: 'linear',
  });
  assert.equal(linear.betas[0], Math.fround(0.0001));
  assert.equal(linear.betas[999], Math.fround(0.02));
  const cosine = noiseSchedule({
    num_train_timesteps: 1000,
    beta_start: 0,
    beta_end: 0,
    beta_schedule: 'squaredcos_cap_v2',
  });
  assert.equal(cosine.betas[999], Math.fround(0.999)); // capped at max_beta
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  assert.equal(cosine.betas[0], Math.fround(1 - alphaBar(0.001) / alphaBar(0)));
});
