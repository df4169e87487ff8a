// The builder: scoped names, shape inference errors that name both shapes and the node's scope.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../src/engine/graph.ts';
import { ModelError } from '../../src/errors.ts';
import { float32 } from '../../src/tensor.ts';

test('params and nodes carry the scope path of diffusers weight names', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [1, 4, 8, 8]);
  const y = g.scope('down_blocks.0', () =>
    g.scope('resnets.1', () => {
      const w = g.param('conv1.weight', float32([4, 4, 3, 3]));
      assert.equal(w.name, 'down_blocks.0.resnets.1.conv1.weight');
      return g.conv2d(x, w, undefined, { padding: 1 });
    }),
  );
  assert.equal(y.name, 'down_blocks.0.resnets.1.conv');
  assert.deepEqual(y.shape, [1, 4, 8, 8]);
});

test('a shape mismatch names both shapes and the node scope', () => {
  const g = new Graph();
  const a = g.input('a', 'float32', [2, 3]);
  const b = g.input('b', 'float32', [4, 5]);
  assert.throws(
    () => g.scope('mid_block.attentions.0', () => g.matmul(a, b)),
    (e: unknown) => e instanceof ModelError && /\[2, 3\]/.test(e.message) && /\[4, 5\]/.test(e.message) && e.message.includes('mid_block.attentions.0.matmul'),
  );
});

test('a conv whose weight does not fit the input channels says both and how many it expects', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [1, 3, 8, 8]);
  const w = g.param('w', float32([8, 4, 3, 3]));
  assert.throws(() => g.scope('conv_in', () => g.conv2d(x, w)), /conv_in\.conv.*3 channels.*\[8, 4, 3, 3\].*expects 4/);
});

test('a parameter defined twice in one scope is refused with its full name', () => {
  const g = new Graph();
  g.scope('text_model', () => g.param('w', float32([1])));
  assert.throws(() => g.scope('text_model', () => g.param('w', float32([1]))), /text_model\.w.*defined twice/);
});

test('an output may not reuse the name of another value, but any intermediate can be exposed', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2]);
  const h = g.scope('block', () => g.exp(x));
  g.output('block.exp', h);
  g.output('features', h);
  assert.equal(g.outputs.get('features')?.id, h.id);
  assert.throws(() => g.output('x', g.neg(x)), /output name "x" is already the name of another value/);
});
