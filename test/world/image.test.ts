import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toRgbaBytes } from '../../src/world/image.ts';

test('RGB floats become 8-bit RGBA with opaque alpha, rounded and clamped', () => {
  const rgb = { width: 2, height: 1, data: Float32Array.from([0, 0.5, 1, -0.2, 1.3, 0.2]) };
  const out = toRgbaBytes(rgb);
  assert.deepEqual([out.width, out.height, ...out.data], [2, 1, 0, 128, 255, 255, 0, 255, 51, 255]);
});

test('RGBA floats keep their alpha as 8 bits', () => {
  const rgba = { width: 1, height: 1, data: Float32Array.from([1, 0, 0.25, 0.5]) };
  assert.deepEqual([...toRgbaBytes(rgba).data], [255, 0, 64, 128]);
});
