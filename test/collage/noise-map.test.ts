import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianBlur, heldMask, noiseStrengthMap, pasteStrengths, resizeNearest } from '../../src/collage/index.ts';
import { float32 } from '../../src/tensor.ts';

test('strengths soft-paste bottom to top over s_max', () => {
  const lower = Float32Array.from([1, 1, 0.5, 0]);
  const upper = Float32Array.from([0, 1, 0.5, 0]);
  const out = pasteStrengths([lower, upper], [0.4, 0.2], 2, 2, 0.9);
  const expected = [0.4, 0.2, 0.2 * 0.5 + (0.4 * 0.5 + 0.9 * 0.5) * 0.5, 0.9];
  expected.forEach((v, i) => assert.ok(Math.abs(out[i]! - v) < 1e-6, `pixel ${i}`));
});

test('the blur keeps a constant map constant and the mean of a step', () => {
  const flat = gaussianBlur(new Float32Array(32 * 32).fill(0.7), 32, 32, 3);
  assert.ok(flat.every((v) => Math.abs(v - 0.7) < 1e-5));
  const step = Float32Array.from({ length: 64 * 64 }, (_, p) => ((p % 64) < 32 ? 1 : 0));
  const blurred = gaussianBlur(step, 64, 64, 4);
  assert.ok(Math.abs(blurred[10 * 64 + 31]! + blurred[10 * 64 + 32]! - 1) < 1e-4, 'symmetric about the edge');
  assert.ok(blurred[10 * 64 + 16]! > 0.9999 && blurred[10 * 64 + 48]! < 0.0001);
});

test('nearest resize takes floor(i·in/out) like torch', () => {
  const src = Float32Array.from({ length: 16 }, (_, i) => i);
  assert.deepEqual([...resizeNearest(src, 4, 4, 2, 2)], [0, 2, 8, 10]);
});

test('the strength map is s_max away from layers and s_i under a large layer', () => {
  const mask = Float32Array.from({ length: 128 * 128 }, (_, p) => ((p % 128) < 64 ? 1 : 0));
  const { image, latent, sMax } = noiseStrengthMap([mask], [0.3], 128, 128, { width: 16, height: 16 });
  assert.equal(sMax, 0.3);
  assert.ok(image.every((v) => Math.abs(v - 0.3) < 1e-5));
  assert.equal(latent.length, 256);
  const two = noiseStrengthMap([new Float32Array(128 * 128).fill(1), mask], [0.9, 0.2], 128, 128, { width: 16, height: 16 });
  assert.ok(Math.abs(two.latent[8 * 16 + 0]! - 0.2) < 1e-3);
  assert.ok(Math.abs(two.latent[8 * 16 + 15]! - 0.9) < 1e-3);
});

test('held mask keeps s < t/1000 and dilates by int(4t/1000) latent px', () => {
  const s = new Float32Array(11 * 11).fill(1);
  s[5 * 11 + 5] = 0.1;
  const at600 = heldMask(float32([11, 11], s), 600);
  assert.deepEqual(at600.shape, [11, 11]);
  let held = 0;
  at600.data.forEach((v, p) => {
    held += v;
    const x = p % 11;
    const y = Math.floor(p / 11);
    assert.equal(v, Math.abs(x - 5) <= 2 && Math.abs(y - 5) <= 2 ? 1 : 0);
  });
  assert.equal(held, 25);
  const at200 = heldMask(float32([11, 11], s), 200);
  assert.equal(at200.data.reduce((a, v) => a + v, 0), 1);
  assert.equal(heldMask(float32([11, 11], s), 50).data.reduce((a, v) => a + v, 0), 0);
});
