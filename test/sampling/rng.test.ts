// The seeded noise source: Philox4x32-10 known answers (Random123 kat_vectors), recorded golden normals, stream
// properties and bad seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, philox4x32 } from '../../src/sampling/index.ts';
import { InputError } from '../../src/errors.ts';

test('philox4x32-10 reproduces the three Random123 known-answer vectors', () => {
  assert.deepEqual(philox4x32([0, 0, 0, 0], [0, 0]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
  assert.deepEqual(
    philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff]),
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  );
  assert.deepEqual(
    philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]),
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  );
});

test('seed 42 gives the recorded first normals bit for bit (changing them changes every seeded image)', () => {
  // Recorded with RNG_ALGORITHM philox4x32-10/box-muller-f64/v1.
  assert.deepEqual(
    Array.from(new Rng(42).normal([2, 3])),
    [
      1.2345417737960815, 0.6118499040603638, -2.9550533294677734, -0.25885656476020813, -1.4934674501419067,
      -1.1249109506607056,
    ],
  );
  assert.deepEqual(
    Array.from(new Rng(42).fork('initial-noise').normal([3])),
    [-0.7287833094596863, 1.6309492588043213, -0.17728358507156372],
  );
});

test('draws continue one stream however they are chunked', () => {
  const whole = new Rng(7).normal([17]);
  const rng = new Rng(7);
  const parts = [...rng.normal([5]), ...rng.normal([1]), ...rng.normal([0]), ...rng.normal([11])];
  assert.deepEqual(parts, Array.from(whole));
});

test('200k normals have mean 0 and variance 1 within 4 standard errors', () => {
  const values = new Rng(1).normal([200_000]);
  let sum = 0;
  let squares = 0;
  for (const v of values) {
    sum += v;
    squares += v * v;
  }
  const mean = sum / values.length;
  const variance = squares / values.length - mean * mean;
  assert.ok(Math.abs(mean) < 4 / Math.sqrt(values.length), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 4 * Math.sqrt(2 / values.length), `variance ${variance}`);
});

test('forks depend on their labels and seed only, not on draws already made', () => {
  const parent = new Rng(5);
  const before = parent.fork('step', 3).normal([4]);
  parent.normal([100]);
  assert.deepEqual(parent.fork('step', 3).normal([4]), before);
  assert.notDeepEqual(parent.fork('step', 4).normal([4]), before);
  assert.notDeepEqual(new Rng(6).fork('step', 3).normal([4]), before);
  assert.notDeepEqual(parent.fork('step').fork(3).normal([4]), new Rng(5).normal([4]));
});

test('different seeds give different noise and bigint seeds above 2^53 work', () => {
  assert.notDeepEqual(new Rng(0).normal([4]), new Rng(1).normal([4]));
  assert.notDeepEqual(new Rng(2n ** 60n).normal([4]), new Rng(0).normal([4]));
  assert.deepEqual(new Rng(3n).normal([4]), new Rng(3).normal([4]));
});

test('a negative, fractional, non-finite or too large seed is an InputError', () => {
  for (const seed of [-1, 1.5, NaN, Infinity, 2 ** 53, -1n, 2n ** 64n]) {
    assert.throws(
      () => new Rng(seed),
      (e: unknown) => e instanceof InputError && /seed must be an integer/.test(e.message),
      String(seed),
    );
  }
});

test('normalTensor returns a float32 tensor of the shape asked', () => {
  const t = new Rng(9).normalTensor([1, 4, 2, 2]);
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(t.shape, [1, 4, 2, 2]);
  assert.deepEqual(t.data, new Rng(9).normal([16]));
});
