import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NoiseControl, heldFraction } from '../../src/method/noise-control.ts';
import { Rng, createScheduler, type Latents, type NoiseSource, type Scheduler } from '../../src/sampling/index.ts';
import { float32 } from '../../src/tensor.ts';

// SD 1.5's training schedule, so timesteps are those of a real model folder.
const SD15 = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', steps_offset: 1, timestep_spacing: 'leading' };
const SHAPE = [1, 4, 8, 8];

/** A seeded noise stream standing in for the pipeline's. */
const noiseStream = (seed: number): NoiseSource => new Rng(seed);

/** A fake denoiser: predicts a fixed fraction of the sample as noise (enough to drive every scheduler). */
const fakeModel = (x: Latents): Latents => float32(x.shape, x.data.map((v) => 0.3 * v));

function runLoop(scheduler: Scheduler, x: Latents, after?: (x: Latents, t: number) => Latents): Latents {
  for (const t of scheduler.timesteps) {
    x = scheduler.step(fakeModel(scheduler.scaleModelInput(x, t)), t, x).prevSample;
    if (after) x = after(x, t);
  }
  return x;
}

const composite = float32(SHAPE, noiseStream(1).normal(SHAPE));

for (const id of ['ddim', 'euler', 'dpmpp-2m'] as const) {
  test(`a uniform strength map reproduces plain image-to-image at that strength exactly (${id})`, () => {
    const strength = 0.6;
    const plain = createScheduler(id, SD15);
    plain.setTimesteps(20, { strength });
    const init = float32(SHAPE, noiseStream(2).normal(SHAPE));
    const expected = runLoop(plain, plain.addNoise(composite, init, plain.timesteps[0]!));

    const sched = createScheduler(id, SD15);
    sched.setTimesteps(20, { strength });
    const control = new NoiseControl(composite, float32([8, 8], new Float32Array(64).fill(strength)), sched, noiseStream(3));
    const got = runLoop(sched, control.start(init), (x, t) => control.afterStep(x, t));
    assert.deepEqual(got.data, expected.data);
  });
}

test('pixels of strength 0 end at the composite noised to the last step time with that step noise draw', () => {
  const sched = createScheduler('ddim', SD15);
  sched.setTimesteps(10, { strength: 0.8 });
  const map = new Float32Array(64).fill(0.8);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 4; x++) map[y * 8 + x] = 0; // left half kept
  const stream = noiseStream(4);
  let lastDraw: Float32Array | undefined;
  const recording: NoiseSource = {
    normal: (shape) => (lastDraw = stream.normal(shape)),
    normalTensor: (shape) => float32(shape, (lastDraw = stream.normal(shape))),
  };
  const control = new NoiseControl(composite, float32([8, 8], map), sched, recording);
  const out = runLoop(sched, control.start(float32(SHAPE, noiseStream(5).normal(SHAPE))), (x, t) => control.afterStep(x, t));
  const tLast = sched.timesteps.at(-1)!;
  const expected = sched.addNoise(composite, float32(SHAPE, lastDraw!), tLast).data;
  for (let c = 0; c < 4; c++) {
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 4; x++) {
        const i = c * 64 + y * 8 + x;
        assert.equal(out.data[i], expected[i], `channel ${c} pixel (${x}, ${y})`);
      }
    }
  }
});

test('the held fraction per step follows a two-strength map and the dilation rule', () => {
  // Left 3 columns s = 0.3, the rest s = 0.9: at step time t the left block is held when 0.3 < t/1000, grown by
  // int(4t/1000) columns; the right block is held when 0.9 < t/1000.
  const map = new Float32Array(64).fill(0.9);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 3; x++) map[y * 8 + x] = 0.3;
  const sched = createScheduler('ddim', SD15);
  sched.setTimesteps(25, { strength: 0.9 });
  const control = new NoiseControl(composite, float32([8, 8], map), sched, noiseStream(6));
  let steps = 0;
  runLoop(sched, control.start(float32(SHAPE, noiseStream(7).normal(SHAPE))), (x, t) => {
    const out = control.afterStep(x, t);
    const d = Math.trunc((4 * t) / 1000);
    const columns = t / 1000 > 0.9 ? 8 : t / 1000 > 0.3 ? Math.min(8, 3 + d) : 0;
    assert.equal(heldFraction(control.lastHeld!), columns / 8, `t = ${t}`);
    steps++;
    return out;
  });
  assert.equal(steps, sched.timesteps.length);
});
