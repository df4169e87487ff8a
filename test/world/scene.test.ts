import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sceneRng } from '../../src/world/rng.ts';
import { PERSPECTIVE_HEIGHT, SIZE_SCALE, sampleScene } from '../../src/world/scene.ts';

const scenes = Array.from({ length: 300 }, (_, i) => sampleScene(sceneRng('train', i)));

test('every scene has 1 to 5 objects and all counts occur', () => {
  const counts = new Set(scenes.map((s) => s.objects.length));
  assert.deepEqual([...counts].sort(), [1, 2, 3, 4, 5]);
});

test('objects are painted back to front: base y never decreases', () => {
  for (const s of scenes) {
    for (let i = 1; i < s.objects.length; i++) assert.ok(s.objects[i]!.baseY >= s.objects[i - 1]!.baseY);
  }
});

test('nearer objects are lower and larger: height = 0.62 × depth below the horizon × size scale', () => {
  for (const s of scenes) {
    for (const o of s.objects) {
      assert.ok(o.baseY > s.horizon + 0.1, 'stands on the ground');
      const expected = Math.min(0.6, PERSPECTIVE_HEIGHT * (o.baseY - s.horizon) * SIZE_SCALE[o.size]);
      assert.ok(Math.abs(o.height - expected) < 1e-12);
    }
  }
});

test('ids name the shape and the painting index, and the second colour differs from the first', () => {
  for (const s of scenes) {
    s.objects.forEach((o, i) => {
      assert.equal(o.id, `${o.shape}-${i}`);
      assert.notEqual(o.pattern.second, o.colour);
    });
  }
});

test('the same index in the two streams gives different scenes', () => {
  let same = 0;
  for (let i = 0; i < 50; i++) {
    if (
      JSON.stringify(sampleScene(sceneRng('train', i))) === JSON.stringify(sampleScene(sceneRng('eval', i)))
    )
      same++;
  }
  assert.equal(same, 0);
});
