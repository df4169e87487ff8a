import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverModels } from '../../src/cli/serve.ts';
import { InputError } from '../../src/errors.ts';

test('serve offers embedded first, then each --model id=path, then the model-free preview', () => {
  const models = serverModels(['sd15=/models/sd15', 'mine=/tmp/x.safetensors']);
  assert.deepEqual(models.map((m) => m.id), ['embedded', 'sd15', 'mine', 'preview']);
  assert.equal(models[1]!.description, '/models/sd15');
  assert.deepEqual(models.map((m) => m.available?.() ?? true), [models[0]!.available!(), false, false, true], 'paths that do not exist are not available');
});

test('a --model value that is not id=path, or repeats an id, is an InputError naming --model and the form', () => {
  for (const bad of ['/models/sd15', 'embedded=/x', 'preview=/x']) {
    assert.throws(() => serverModels([bad]), (e: unknown) => e instanceof InputError && /--model/.test(e.message) && /id=path/.test(e.message), bad);
  }
});
