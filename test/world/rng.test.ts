import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auxiliaryRng, sceneRng } from '../../src/world/rng.ts';

test('the same key gives the same numbers, recorded values included', () => {
  const a = sceneRng('train', 0);
  const b = sceneRng('train', 0);
  const first = [a.next(), a.next(), a.next()];
  assert.deepEqual(first, [b.next(), b.next(), b.next()]);
  assert.deepEqual(first, [0.44191518402658403, 0.8448556726798415, 0.7426803174894303]);
});

test('training and evaluation streams give different numbers for every index tried', () => {
  for (let i = 0; i < 200; i++) {
    const t = sceneRng('train', i);
    const e = sceneRng('eval', i);
    assert.notEqual(t.next(), e.next(), `index ${i}`);
  }
});

test('auxiliary generators never replay a scene stream', () => {
  assert.notEqual(auxiliaryRng(0, 0).next(), sceneRng('train', 0).next());
  assert.notEqual(auxiliaryRng(0, 0).next(), sceneRng('eval', 0).next());
});

test('a negative or fractional index is refused with the value', () => {
  assert.throws(() => sceneRng('train', -1), /received -1/);
  assert.throws(() => sceneRng('eval', 1.5), /received 1.5/);
});

test('int and range stay in bounds', () => {
  const r = sceneRng('train', 7);
  for (let i = 0; i < 1000; i++) {
    const k = r.int(5);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 5);
    const x = r.range(2, 3);
    assert.ok(x >= 2 && x < 3);
  }
});
