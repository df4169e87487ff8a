import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captionOf } from '../../src/world/caption.ts';
import { trainingExample } from '../../src/world/training.ts';

test('a training example is reproducible: same index, same image and caption', () => {
  const a = trainingExample(17, 64);
  const b = trainingExample(17, 64);
  assert.deepEqual(a.image.data, b.image.data);
  assert.equal(a.caption, b.caption);
  assert.equal(a.image.width, 64);
});

test('training captions are the full caption with words dropped, and about 10% are empty', () => {
  let empty = 0;
  for (let i = 0; i < 400; i++) {
    const { scene, caption } = trainingExample(i, 64);
    if (caption === '') {
      empty++;
      continue;
    }
    const full = captionOf(scene).split(/[ ,]+/);
    for (const word of caption.split(/[ ,]+/).filter((w) => w !== 'a' && w !== 'an'))
      assert.ok(full.includes(word), `"${word}" of "${caption}" not in "${full.join(' ')}"`);
  }
  assert.ok(empty >= 20 && empty <= 60, `${empty} empty of 400`);
});
