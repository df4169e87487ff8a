// model_index.json's "_collage_diffusion" key: per-model defaults of our settings (io/model-defaults.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelError } from '../../src/errors.ts';
import { COLLAGE_MODEL_INDEX_KEY, parseCollageModelDefaults } from '../../src/io/model-defaults.ts';

test('the key is underscore-prefixed, so diffusers skips it', () => {
  assert.equal(COLLAGE_MODEL_INDEX_KEY, '_collage_diffusion');
});

test('an absent key gives no defaults; an inversion step count is read as written', () => {
  assert.deepEqual(parseCollageModelDefaults(undefined, 'model_index.json'), {});
  assert.deepEqual(parseCollageModelDefaults({ inversion: { steps: 100 } }, 'model_index.json'), { inversion: { steps: 100 } });
  assert.deepEqual(parseCollageModelDefaults({ inversion: {} }, 'model_index.json'), { inversion: {} });
});

test('keys we do not use are ignored (a newer folder opens in an older reader)', () => {
  assert.deepEqual(parseCollageModelDefaults({ inversion: { steps: 75, lr: 1 }, sampler: 'x' }, 'm.json'), { inversion: { steps: 75 } });
});

test('a bad step count is a ModelError naming the file, the key path and the fix', () => {
  for (const steps of [0, 2.5, '100', -3]) {
    assert.throws(
      () => parseCollageModelDefaults({ inversion: { steps } }, 'models/x/model_index.json'),
      (e: unknown) => e instanceof ModelError && e.message.includes('models/x/model_index.json → _collage_diffusion.inversion.steps') && e.message.includes(JSON.stringify(steps)) && e.message.includes('use e.g. 100'),
    );
  }
  assert.throws(() => parseCollageModelDefaults([1], 'm.json'), (e: unknown) => e instanceof ModelError && e.message.includes('m.json → _collage_diffusion') && e.message.includes('expected an object'));
  assert.throws(() => parseCollageModelDefaults({ inversion: 100 }, 'm.json'), (e: unknown) => e instanceof ModelError && e.message.includes('_collage_diffusion.inversion'));
});
