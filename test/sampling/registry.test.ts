// createScheduler: diffusers `_class_name` and CLI ids, config defaults, and the errors for unknown names and
// unsupported values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCHEDULER_CLASS_NAMES, SCHEDULER_IDS, createScheduler } from '../../src/sampling/index.ts';
import { InputError, ModelError } from '../../src/errors.ts';

test('every diffusers class name maps to a scheduler of that class', () => {
  for (const className of Object.keys(SCHEDULER_CLASS_NAMES)) {
    const config = { _class_name: className, skip_prk_steps: true };
    assert.equal(createScheduler(config).className, className);
  }
});

test('every CLI id builds a scheduler that runs one step', () => {
  for (const id of SCHEDULER_IDS) {
    const scheduler = createScheduler(id, { skip_prk_steps: true });
    scheduler.setTimesteps(2);
    const x = { dtype: 'float32' as const, shape: [1], data: Float32Array.of(0.5) };
    const out = scheduler.step(
      x,
      scheduler.timesteps[0]!,
      scheduler.scaleModelInput(x, scheduler.timesteps[0]!),
      x,
    );
    assert.ok(Number.isFinite(out.prevSample.data[0]!), id);
  }
});

test('an unknown scheduler id is an InputError listing every valid id', () => {
  assert.throws(
    () => createScheduler('lms', {}),
    (e: unknown) =>
      e instanceof InputError &&
      /unknown scheduler "lms"/.test(e.message) &&
      SCHEDULER_IDS.every((id) => e.message.includes(id)),
  );
});

test('an unknown _class_name is a ModelError listing the supported classes', () => {
  assert.throws(
    () => createScheduler({ _class_name: 'LMSDiscreteScheduler' }),
    (e: unknown) =>
      e instanceof ModelError &&
      /LMSDiscreteScheduler/.test(e.message) &&
      /EulerAncestralDiscreteScheduler/.test(e.message),
  );
});

test('used keys with unsupported values are one ModelError naming each key and the supported values', () => {
  assert.throws(
    () =>
      createScheduler({
        _class_name: 'DPMSolverMultistepScheduler',
        algorithm_type: 'sde-dpmsolver++',
        timestep_spacing: 'even',
        steps_offset: 0.5,
      }),
    (e: unknown) =>
      e instanceof ModelError &&
      e.problems.length === 3 &&
      /algorithm_type: unsupported value "sde-dpmsolver\+\+"/.test(e.message) &&
      /timestep_spacing: unsupported value "even".*"leading", "linspace", "trailing"/.test(e.message) &&
      /steps_offset: expected an integer, got 0.5/.test(e.message),
  );
});

test('keys a scheduler does not use are ignored', () => {
  const scheduler = createScheduler({
    _class_name: 'EulerDiscreteScheduler',
    clip_sample: false,
    skip_prk_steps: true,
    something_new: [1, 2],
  });
  assert.equal(scheduler.className, 'EulerDiscreteScheduler');
});

test('the dpmpp-2m id turns Karras sigmas off and dpmpp-2m-karras turns them on, whatever the config says', () => {
  const plain = createScheduler('dpmpp-2m', { use_karras_sigmas: true });
  const karras = createScheduler('dpmpp-2m-karras', { use_karras_sigmas: false });
  plain.setTimesteps(10);
  karras.setTimesteps(10);
  assert.equal(plain.timesteps[1], 899); // linspace(0, 999, 11).round()[::-1][1]
  assert.notEqual(karras.timesteps[1], 899);
});

test('lambda_min_clipped: -Infinity as diffusers writes it keeps the whole schedule; -2 cuts the top', () => {
  const config = {
    _class_name: 'DPMSolverMultistepScheduler',
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    beta_end: 0.012,
  };
  const whole = createScheduler({ ...config, lambda_min_clipped: -Infinity });
  whole.setTimesteps(10);
  assert.equal(whole.timesteps[0], 999);
  const clipped = createScheduler({ ...config, lambda_min_clipped: -2 });
  clipped.setTimesteps(10);
  // lambda = -log(sigma): timesteps with sigma > e^2 are cut, so the schedule starts just below sigma e^2.
  const first = clipped.timesteps[0]!;
  assert.ok(
    clipped.sigmaAt({ t: first }) <= Math.exp(2) && clipped.sigmaAt({ t: first + 2 }) > Math.exp(2),
    `first ${first}`,
  );
});
