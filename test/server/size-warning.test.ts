import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canvasSizeWarnings } from '../../src/server/size-warning.ts';

test('a canvas more than 2× larger than the native size warns with the factor, the sizes and the resize fix', () => {
  const [warning, ...rest] = canvasSizeWarnings(512, 512, 128, 'embedded');
  assert.deepEqual(rest, []);
  assert.match(warning!.what, /^the canvas is 512×512 px, 4× the embedded model's native 128×128 px: generation is much slower/);
  assert.equal(warning!.where, 'document → width, height');
  assert.match(warning!.fix!, /^resize the canvas to 128×128 \(the editor offers it/);
});

test('a canvas more than 2× smaller warns too; a non-square one is told the longer side', () => {
  const [warning] = canvasSizeWarnings(192, 128, 512, 'sd15');
  assert.match(warning!.what, /^the canvas is 192×128 px, 1\/2\.7 the sd15 model's native 512×512 px: the model was trained on larger images/);
  assert.match(warning!.fix!, /^resize the canvas to 512 px on its longer side/);
});

test('within 2× of the native size, or with the native size unknown, there is no warning', () => {
  for (const [w, h] of [[256, 256], [128, 128], [64, 64], [256, 128]] as const) assert.deepEqual(canvasSizeWarnings(w, h, 128, 'embedded'), [], `${w}×${h}`);
  assert.deepEqual(canvasSizeWarnings(4096, 4096, undefined, 'preview'), []);
});
