import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caseFromScene, pasteLayers } from '../../src/eval/case.ts';
import { computeMetrics } from '../../src/eval/metrics.ts';
import {
  renderObjectLayer,
  renderScene,
  type Lighting,
  type Scene,
  type SceneObject,
} from '../../src/world/index.ts';

// One constructed case, 128 px: a red/white striped ball and a blue/yellow checkered cube on grass at sunset,
// pasted as layers lit by a high day sun from the other side.
const ball: SceneObject = {
  id: 'ball-0',
  shape: 'ball',
  colour: 'red',
  pattern: { kind: 'striped', frequency: 1.8, angleDeg: 30, second: 'white' },
  size: 'medium',
  x: 0.35,
  baseY: 0.8,
  height: 0.3,
  facing: 1,
};
const cube: SceneObject = {
  ...ball,
  id: 'cube-1',
  shape: 'cube',
  colour: 'blue',
  pattern: { kind: 'checkered', frequency: 1.5, angleDeg: 10, second: 'yellow' },
  x: 0.68,
  baseY: 0.85,
};
const scene: Scene = {
  horizon: 0.4,
  ground: 'grass',
  lighting: { time: 'sunset', sunSide: 1, sunHigh: false },
  objects: [ball, cube],
};
const day: Lighting = { time: 'day', sunSide: -1, sunHigh: true };
const SIZE = 128;
const c = caseFromScene(scene, [day, day], SIZE);
const truth = computeMetrics(c.groundTruth, c);

/** The scene rendered with the ball replaced. */
function withBall(changed: SceneObject) {
  return computeMetrics(renderScene({ ...scene, objects: [changed, cube] }, SIZE), c);
}

test('the ground truth against itself is perfect on every metric', () => {
  assert.deepEqual(truth, {
    iou: 1,
    objectRecall: 1,
    pattern: 1,
    chromaError: 0,
    backgroundError: 0,
    shadowError: 0,
    lightGainDeviation: 0,
  });
});

test('the naive collage scores worse on harmonization than the ground truth', () => {
  const naive = computeMetrics(c.naive, c);
  assert.ok(naive.shadowError > 0.05, `shadow error ${naive.shadowError}`);
  assert.ok(naive.backgroundError > 0.002, `background error ${naive.backgroundError}`);
  assert.ok(naive.lightGainDeviation > 0.2, `light gain deviation ${naive.lightGainDeviation}`);
});

test('shifting an object by 10% of the canvas lowers spatial fidelity', () => {
  const shifted = withBall({ ...ball, x: ball.x + 0.1 });
  assert.ok(shifted.iou < 0.85, `iou ${shifted.iou}`);
  assert.ok(shifted.objectRecall < 0.9, `object recall ${shifted.objectRecall}`);
});

test('swapping the pattern lowers appearance fidelity (dotted, plain, or the stripes turned)', () => {
  for (const pattern of [
    { ...ball.pattern, kind: 'dotted' as const },
    { ...ball.pattern, kind: 'plain' as const },
    { ...ball.pattern, angleDeg: 120 },
  ]) {
    const m = withBall({ ...ball, pattern });
    assert.ok(m.pattern < 0.8, `${JSON.stringify(pattern)}: pattern ${m.pattern}`);
  }
});

test('swapping the colour lowers appearance fidelity (blue, pink, orange)', () => {
  for (const colour of ['blue', 'pink', 'orange'] as const) {
    const m = withBall({ ...ball, colour });
    assert.ok(m.chromaError > 0.045, `${colour}: chroma error ${m.chromaError}`);
  }
});

test('relighting without changing the pattern does not count against appearance', () => {
  const lights: Lighting[] = [
    day,
    { time: 'night', sunSide: 1, sunHigh: true },
    { time: 'night', sunSide: -1, sunHigh: false },
    { time: 'day', sunSide: 1, sunHigh: false },
  ];
  for (const light of lights) {
    const relit = pasteLayers(
      c.groundTruth,
      scene.objects.map((o) => renderObjectLayer(o, light, SIZE)),
    );
    const m = computeMetrics(relit, c);
    assert.ok(m.pattern > 0.97, `${JSON.stringify(light)}: pattern ${m.pattern}`);
    assert.ok(m.chromaError < 0.03, `${JSON.stringify(light)}: chroma error ${m.chromaError}`);
    assert.ok(m.lightGainDeviation > 0.1, 'the relight still shows in harmonization');
  }
});
