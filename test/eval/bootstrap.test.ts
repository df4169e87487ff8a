import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapMean } from '../../src/eval/bootstrap.ts';

test('the interval of 100 uniform values brackets the mean at about ±1.96 standard errors', () => {
  const values = Array.from({ length: 100 }, (_, i) => i / 99); // mean 0.5, sd ≈ 0.2916, se ≈ 0.0292
  const e = bootstrapMean(values);
  assert.ok(Math.abs(e.mean - 0.5) < 1e-12);
  assert.ok(Math.abs(e.hi - e.mean - 1.96 * 0.0292) < 0.01, `upper half-width ${e.hi - e.mean}`);
  assert.ok(Math.abs(e.mean - e.lo - 1.96 * 0.0292) < 0.01, `lower half-width ${e.mean - e.lo}`);
  assert.equal(e.n, 100);
});

test('constant values give a zero-width interval, and the same seed the same interval', () => {
  assert.deepEqual(bootstrapMean([0.3, 0.3, 0.3]), { mean: 0.3, lo: 0.3, hi: 0.3, n: 3 });
  const xs = [1, 5, 2, 8, 3];
  assert.deepEqual(bootstrapMean(xs), bootstrapMean(xs));
});

test('NaN values are left out and an all-NaN list gives NaN', () => {
  assert.equal(bootstrapMean([1, Number.NaN, 3]).mean, 2);
  assert.equal(bootstrapMean([1, Number.NaN, 3]).n, 2);
  assert.ok(Number.isNaN(bootstrapMean([Number.NaN]).mean));
});
