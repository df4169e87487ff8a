import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collageDocument, makeCase } from '../../src/eval/case.ts';

const c = makeCase(3, 64);

test('every layer is lit at a different time of day than the scene', () => {
  assert.ok(c.layers.length >= 1);
  for (const l of c.layers) assert.notEqual(l.lighting.time, c.scene.lighting.time);
});

test('the naive collage equals the background wherever no layer covers the canvas', () => {
  let checked = 0;
  for (let k = 0; k < 64 * 64; k++) {
    if (c.masks.union[k]! > 0) continue;
    for (let ch = 0; ch < 3; ch++) assert.equal(c.naive.data[k * 3 + ch], c.background.data[k * 3 + ch]);
    checked++;
  }
  assert.ok(checked > 1000);
});

test('the collage document follows collage-format.md: placeholders for each layer, layers bottom first', () => {
  const doc = collageDocument(c, 'background.png', (id) => `layers/${id}.png`);
  assert.equal(doc.version, 1);
  assert.equal(doc.width, 64);
  assert.deepEqual(doc.background, { image: 'background.png' });
  assert.deepEqual(
    doc.layers.map((l) => l.id),
    c.scene.objects.map((o) => o.id),
  );
  let filled = doc.prompt;
  for (const l of doc.layers) {
    assert.match(l.id, /^[A-Za-z0-9_-]+$/);
    assert.ok(doc.prompt.includes(`{${l.id}}`));
    filled = filled.replace(`{${l.id}}`, l.text);
  }
  assert.equal(filled, c.text);
});

test('the same index gives the same case, and a different one a different case', () => {
  assert.deepEqual(makeCase(3, 64).naive.data, c.naive.data);
  assert.notDeepEqual(makeCase(4, 64).scene, c.scene);
});

test('visible masks of overlapping objects sum to the union', () => {
  for (let k = 0; k < 64 * 64; k++) {
    const sum = c.masks.visible.reduce((s, v) => s + v[k]!, 0);
    assert.ok(Math.abs(sum - c.masks.union[k]!) < 1e-5);
  }
});
