// The torch-compatible generator against the fixtures' own torch.randn(generator=manual_seed(S)) draws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TorchCpuRng } from '../../src/sampling/index.ts';
import { InputError } from '../../src/errors.ts';
import { referenceSkip } from '../support/reference.ts';
import { loadReference, sliceFirst, tensorOf } from '../support/scheduler-reference.ts';

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// torch's AVX2 float32 log/sin/cos (Sleef, 1 ulp) differ from our float64 maths rounded to float32 by ~1 ulp,
// i.e. up to ~1.2e-6 absolute for values near 4.
const ATOL = 3e-6;

test(
  'manual_seed(40) randn([1, 4, 8, 8]) reproduces the fixture x_T_unit (atol 3e-6)',
  { skip: referenceSkip() },
  () => {
    const expected = tensorOf(loadReference('diffusers/refs/schedulers.safetensors'), 'x_T_unit');
    assert.ok(maxAbs(new TorchCpuRng(40).normal([1, 4, 8, 8]), expected.data) < ATOL);
  },
);

test('seeds 100..120 reproduce the 21 fixture model_outputs (atol 3e-6)', { skip: referenceSkip() }, () => {
  const expected = tensorOf(loadReference('diffusers/refs/schedulers.safetensors'), 'model_outputs');
  for (let i = 0; i < 21; i++)
    assert.ok(
      maxAbs(new TorchCpuRng(100 + i).normal([1, 4, 8, 8]), sliceFirst(expected, i)) < ATOL,
      `seed ${100 + i}`,
    );
});

test(
  '20 sequential draws from manual_seed(200) reproduce the euler ancestral step noises (atol 3e-6)',
  { skip: referenceSkip() },
  () => {
    const expected = tensorOf(
      loadReference('diffusers-extra/refs/schedulers_extra.safetensors'),
      'euler_a.noises',
    );
    const rng = new TorchCpuRng(200);
    for (let i = 0; i < 20; i++)
      assert.ok(maxAbs(rng.normal([1, 4, 8, 8]), sliceFirst(expected, i)) < ATOL, `draw ${i}`);
  },
);

test('a size that is not a multiple of 16 redraws the last 16 values like torch', () => {
  const rng = new TorchCpuRng(0);
  const a = rng.normal([20]);
  const b = new TorchCpuRng(0).normal([16]);
  assert.deepEqual(a.subarray(0, 4), b.subarray(0, 4)); // the first 4 keep the first block's transform
  assert.notDeepEqual(a.subarray(4, 16), b.subarray(4, 16)); // overwritten by the redrawn block
});

test('fewer than 16 values or a seed outside 0..2^32-1 is an InputError', () => {
  assert.throws(
    () => new TorchCpuRng(1).normal([3, 5]),
    (e: unknown) => e instanceof InputError && /at least 16 values/.test(e.message),
  );
  assert.throws(
    () => new TorchCpuRng(-1),
    (e: unknown) => e instanceof InputError && /2\^32 - 1/.test(e.message),
  );
});
