import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionResolutions, maskPyramid, resizeArea } from '../../src/collage/index.ts';

function seededMask(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31));
}

test('pyramid values at 8×8 equal the area average of each 8×8 block of a 64×64 mask', () => {
  const mask = seededMask(64 * 64, 7);
  const [at64, at8] = maskPyramid(mask, 64, 64, [{ width: 64, height: 64 }, { width: 8, height: 8 }]);
  assert.deepEqual([...at64!], [...mask]);
  for (let by = 0; by < 8; by++) {
    for (let bx = 0; bx < 8; bx++) {
      let sum = 0;
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) sum += mask[(by * 8 + y) * 64 + bx * 8 + x]!;
      assert.ok(Math.abs(at8![by * 8 + bx]! - sum / 64) < 1e-6);
    }
  }
});

test('area resize to a non-integer ratio keeps the mean', () => {
  const mask = seededMask(50 * 30, 3);
  const out = resizeArea(mask, 50, 30, 7, 11);
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(out) - mean(mask)) < 1e-5);
});

test('attention resolutions halve with rounding up, as strided convs do', () => {
  assert.deepEqual(attentionResolutions({ width: 64, height: 64 }, [1, 2, 4, 8]), [
    { width: 64, height: 64 }, { width: 32, height: 32 }, { width: 16, height: 16 }, { width: 8, height: 8 },
  ]);
  assert.deepEqual(attentionResolutions({ width: 96, height: 72 }, [8]), [{ width: 12, height: 9 }]);
  assert.deepEqual(attentionResolutions({ width: 9, height: 5 }, [4]), [{ width: 3, height: 2 }]);
});
