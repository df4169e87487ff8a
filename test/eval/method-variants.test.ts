import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCase, collageDocument } from '../../src/eval/case.ts';
import {
  methodInput,
  registerEvalMethod,
  resolveEvalMethods,
  type EvalMethod,
} from '../../src/eval/methods.ts';
import { parseMethodSpec } from '../../src/eval/method-variants.ts';

/** Records the noise strengths of the document it is given. */
const seen: (number | undefined)[][] = [];
const noiseProbe: EvalMethod = {
  id: 'noise-probe',
  description: 'returns the collage, records layers[].noise',
  takesNoise: true,
  recordedSettings: () => Promise.resolve({ steps: 3 }),
  generate: (input) => {
    seen.push(input.document.layers.map((l) => l.noise));
    return Promise.resolve(input.collage);
  },
};
registerEvalMethod(noiseProbe);

test('id@s runs the method with every layer noise strength set to s, under the id "id@s"', async () => {
  const [variant] = resolveEvalMethods(['noise-probe@0.60']);
  assert.equal(variant!.id, 'noise-probe@0.6');
  const c = makeCase(3, 64);
  seen.length = 0;
  await variant!.generate(
    methodInput(
      c,
      collageDocument(c, 'bg.png', (id) => `${id}.png`),
    ),
    { settings: {} },
  );
  await noiseProbe.generate(
    methodInput(
      c,
      collageDocument(c, 'bg.png', (id) => `${id}.png`),
    ),
    { settings: {} },
  );
  assert.deepEqual(
    seen[0],
    c.layers.map(() => 0.6),
  );
  assert.deepEqual(
    seen[1],
    c.layers.map(() => undefined),
  ); // without @: the method's auto values
  assert.deepEqual(await variant!.recordedSettings!({ settings: {} }), { steps: 3, noise: 0.6 });
});

test('bad strengths, methods without a noise strength and repeats are all refused at once', () => {
  assert.throws(
    () =>
      resolveEvalMethods([
        'noise-probe@1.5',
        'noise-probe@0',
        'noise-probe@x',
        'naive@0.5',
        'naive',
        'naive',
      ]),
    (e: Error) =>
      /noise strength "1\.5" of "noise-probe@1\.5" is not a number in \(0, 1\]/.test(e.message) &&
      /"0" of "noise-probe@0"/.test(e.message) &&
      /"x" of "noise-probe@x"/.test(e.message) &&
      /method "naive" has no noise strength.*@s applies to noise-probe/.test(e.message) &&
      /method "naive" is listed twice/.test(e.message),
  );
});

test('method specs parse the strength as a number in (0, 1]', () => {
  assert.deepEqual(parseMethodSpec('sdedit@.8'), { kind: 'ok', id: 'sdedit', noise: 0.8 });
  assert.deepEqual(parseMethodSpec('sdedit@1'), { kind: 'ok', id: 'sdedit', noise: 1 });
  assert.deepEqual(parseMethodSpec('txt2img'), { kind: 'ok', id: 'txt2img' });
  assert.equal(parseMethodSpec('sdedit@1e-1').kind, 'bad');
});
