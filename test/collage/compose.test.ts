import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OVERVIEW_COLOURS, maskOverview } from '../../src/collage/index.ts';

test('the mask overview mixes layer colours by visible mask over dark grey', () => {
  const a = Float32Array.from([1, 0.5, 0, 0]);
  const b = Float32Array.from([0, 0.5, 1, 0]);
  const out = maskOverview([a, b], 2, 2);
  const [ca, cb] = [OVERVIEW_COLOURS[0]!, OVERVIEW_COLOURS[1]!];
  const px = (p: number) => [...out.data.slice(p * 4, p * 4 + 4)];
  assert.deepEqual(px(0), [...ca, 255]);
  assert.deepEqual(px(1), [0, 1, 2].map((c) => Math.round(0.5 * ca[c]! + 0.5 * cb[c]!)).concat(255));
  assert.deepEqual(px(2), [...cb, 255]);
  assert.deepEqual(px(3), [40, 40, 40, 255]);
});
