import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captionOf, captionVocabulary, objectPhrase, promptTemplateOf } from '../../src/world/caption.ts';
import { auxiliaryRng, sceneRng } from '../../src/world/rng.ts';
import { sampleScene, type Scene, type SceneObject } from '../../src/world/scene.ts';

const ball: SceneObject = {
  id: 'ball-0',
  shape: 'ball',
  colour: 'red',
  pattern: { kind: 'striped', frequency: 2, angleDeg: 30, second: 'white' },
  size: 'medium',
  x: 0.3,
  baseY: 0.7,
  height: 0.2,
  facing: 1,
};
const cube: SceneObject = {
  ...ball,
  id: 'cube-1',
  shape: 'cube',
  colour: 'blue',
  size: 'small',
  pattern: { ...ball.pattern, kind: 'plain' },
};
const scene: Scene = {
  horizon: 0.4,
  ground: 'snow',
  lighting: { time: 'sunset', sunSide: 1, sunHigh: false },
  objects: [ball, cube],
};

test('the full caption reads like the spec example', () => {
  assert.equal(captionOf(scene), 'a red striped ball and a small blue cube on snow at sunset');
});

test('three objects are joined with commas and "and"; "an" before a vowel', () => {
  const orange: SceneObject = {
    ...ball,
    id: 'cone-2',
    shape: 'cone',
    colour: 'orange',
    pattern: { ...ball.pattern, kind: 'dotted' },
  };
  assert.equal(
    captionOf({ ...scene, objects: [ball, cube, orange] }),
    'a red striped ball, a small blue cube and an orange dotted cone on snow at sunset',
  );
});

test('the prompt template puts {id} where each phrase goes, and layer texts fill it back to the caption', () => {
  const template = promptTemplateOf(scene);
  assert.equal(template, '{ball-0} and {cube-1} on snow at sunset');
  const filled = template.replace('{ball-0}', objectPhrase(ball)).replace('{cube-1}', objectPhrase(cube));
  assert.equal(filled, captionOf(scene));
});

test('training captions are empty about 10% of the time and drop words otherwise', () => {
  const rng = auxiliaryRng(1, 1);
  let empty = 0;
  let shorter = 0;
  const n = 2000;
  for (let i = 0; i < n; i++) {
    const s = sampleScene(sceneRng('train', i));
    const c = captionOf(s, rng);
    if (c === '') empty++;
    else if (c.length < captionOf(s).length) shorter++;
  }
  assert.ok(empty / n > 0.08 && empty / n < 0.12, `empty fraction ${empty / n}`);
  assert.ok(shorter / n > 0.5, `shortened fraction ${shorter / n}`);
});

test('every caption word is in the caption vocabulary (34 words)', () => {
  const vocab = new Set(captionVocabulary());
  assert.equal(vocab.size, 34);
  for (let i = 0; i < 500; i++) {
    for (const w of captionOf(sampleScene(sceneRng('train', i))).split(/[ ,]+/)) assert.ok(vocab.has(w), w);
  }
});
