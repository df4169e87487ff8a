import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { toBytes } from '../../src/world/image.ts';
import {
  renderBackground,
  renderObjectLayer,
  renderScene,
  renderSceneDetailed,
} from '../../src/world/render.ts';
import { sceneRng } from '../../src/world/rng.ts';
import { sampleScene, type Scene, type SceneObject } from '../../src/world/scene.ts';

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// Golden hashes of the 8-bit 64×64 renders. A deliberate change of the renderer changes them: re-record them and
// say so in the commit, since the embedded model's training data changes with them.
const GOLDEN: readonly [number, string][] = [
  [0, '4d48cb062be6d4c8089e3e0a95f7adba183065bf790455cb6c8493df5efe6e31'],
  [1, '00ebfa55a547332251dd1e2321d5a7e54f3639ef58a1b6cc1df0ebbfb6fccf99'],
  [2, '067db8d90e43bbbfd23fefd3087068757b6b55b73c7d136e2d16568702f44699'],
  [41, '4f85673d0a6c4ed49ac1883596506f23ff016dd4dc834e2d1d1373c6f4359ae5'],
];

test('training scenes 0, 1, 2 and 41 render to their golden hashes at 64×64', () => {
  for (const [index, hash] of GOLDEN) {
    assert.equal(
      sha256(toBytes(renderScene(sampleScene(sceneRng('train', index)), 64))),
      hash,
      `scene ${index}`,
    );
  }
});

test('rendering the same seed twice gives byte-identical images', () => {
  const a = toBytes(renderScene(sampleScene(sceneRng('eval', 5)), 96));
  const b = toBytes(renderScene(sampleScene(sceneRng('eval', 5)), 96));
  assert.equal(sha256(a), sha256(b));
});

const ball: SceneObject = {
  id: 'ball-0',
  shape: 'ball',
  colour: 'red',
  pattern: { kind: 'plain', frequency: 2, angleDeg: 0, second: 'white' },
  size: 'medium',
  x: 0.5,
  baseY: 0.8,
  height: 0.3,
  facing: 1,
};
const dayScene: Scene = {
  horizon: 0.4,
  ground: 'grass',
  lighting: { time: 'day', sunSide: 1, sunHigh: true },
  objects: [ball],
};

function pixel(data: Float32Array, width: number, x: number, y: number): number[] {
  const k = (y * width + x) * 3;
  return [data[k]!, data[k + 1]!, data[k + 2]!];
}

test('a red ball lit from the right is brighter on its right side and red everywhere', () => {
  const img = renderScene(dayScene, 100);
  const left = pixel(img.data, 100, 40, 65);
  const right = pixel(img.data, 100, 60, 65);
  assert.ok(right[0]! > left[0]! + 0.1, `right ${right[0]} vs left ${left[0]}`);
  for (const p of [left, right]) assert.ok(p[0]! > 2 * p[1]! && p[0]! > 2 * p[2]!, `red: ${p.join(',')}`);
});

test('the shadow falls on the ground away from the light, and the background has none', () => {
  const { image, background } = renderSceneDetailed(dayScene, 100, 100);
  // light from the right: the ground left of the ball's base is darker than the empty background there
  const shaded = pixel(image.data, 100, 36, 79);
  const empty = pixel(background.data, 100, 36, 79);
  assert.ok(shaded[1]! < empty[1]! * 0.8, `shadow ${shaded[1]} vs ground ${empty[1]}`);
  const lit = pixel(image.data, 100, 85, 78);
  assert.deepEqual(lit, pixel(background.data, 100, 85, 78));
});

test('the background equals the scene everywhere away from objects and shadows', () => {
  const scene = { ...dayScene, objects: [] };
  assert.deepEqual(renderBackground(scene, 64, 64).data, renderScene(scene, 64).data);
});

test('a layer has alpha 1 inside the object, 0 outside, fractions on the edge, and no shadow', () => {
  const layer = renderObjectLayer(ball, { time: 'night', sunSide: -1, sunHigh: false }, 100);
  const { width, height, data } = layer.image;
  assert.ok(
    Math.abs(layer.x + width / 2 - 50) <= 2 && Math.abs(layer.y + height / 2 - 65) <= 2,
    `box at ${layer.x},${layer.y}`,
  );
  const alphaAt = (x: number, y: number): number => data[((y - layer.y) * width + (x - layer.x)) * 4 + 3]!;
  assert.equal(alphaAt(50, 65), 1);
  assert.equal(alphaAt(layer.x, layer.y), 0);
  let partial = 0;
  for (let k = 3; k < data.length; k += 4) if (data[k]! > 0 && data[k]! < 1) partial++;
  assert.ok(partial > 40, `anti-aliased edge pixels: ${partial}`);
  let opaque = 0;
  for (let k = 3; k < data.length; k += 4) opaque += data[k]!;
  assert.ok(Math.abs(opaque - Math.PI * 15 * 15) < 10, `area ${opaque} vs π·15²`); // radius 15 px
});

test('a nearer object hides a farther one where they overlap (painted back to front)', () => {
  const far: SceneObject = { ...ball, id: 'ball-0', colour: 'blue', baseY: 0.75 };
  const near: SceneObject = { ...ball, id: 'ball-1', colour: 'red', baseY: 0.8 };
  const img = renderScene({ ...dayScene, objects: [far, near] }, 100);
  const p = pixel(img.data, 100, 50, 62);
  assert.ok(p[0]! > p[2]!, `red in front: ${p.join(',')}`);
});
