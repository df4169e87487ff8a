import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageGrid } from '../../src/eval/grid.ts';
import { rgbImage } from '../../src/world/index.ts';

test('a 2×3 grid of 4×4 cells with 1 px gutters is 16×11 and places each cell', () => {
  const cell = (v: number) => {
    const img = rgbImage(4, 4);
    img.data.fill(v);
    return img;
  };
  const grid = imageGrid([[cell(0.1), cell(0.2), cell(0.3)], [cell(0.4)]], 1);
  assert.equal(grid.width, 16);
  assert.equal(grid.height, 11);
  const at = (x: number, y: number) => grid.data[(y * grid.width + x) * 3]!;
  assert.equal(at(0, 0), 1); // gutter
  assert.ok(Math.abs(at(1, 1) - 0.1) < 1e-7);
  assert.ok(Math.abs(at(11, 1) - 0.3) < 1e-7);
  assert.ok(Math.abs(at(1, 6) - 0.4) < 1e-7);
  assert.equal(at(6, 6), 1); // missing cell stays white
});
