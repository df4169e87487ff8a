import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../src/engine/index.ts';
import { resolveModelConfig, type CLIPTextConfig } from '../../src/io/diffusers-config.ts';
import { buildClipTextModel } from '../../src/models/clip-text.ts';
import { initWeights, initialValue } from '../../src/train/init-weights.ts';
import { ParamStore } from '../../src/train/param-store.ts';

const clipConfig = resolveModelConfig('CLIPTextModel', { vocab_size: 300, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 2, max_position_embeddings: 16 }, 'test') as CLIPTextConfig;

function stats(a: Float32Array): { mean: number; std: number; max: number } {
  let s = 0;
  let s2 = 0;
  let max = 0;
  for (const x of a) {
    s += x;
    s2 += x * x;
    max = Math.max(max, Math.abs(x));
  }
  const mean = s / a.length;
  return { mean, std: Math.sqrt(s2 / a.length - mean * mean), max };
}

test('a CLIP text model built on init weights gets every weight by diffusers name with the PyTorch default scheme', () => {
  const store = new ParamStore('clip');
  const added = initWeights(store, 7, (g, source) => buildClipTextModel(g, clipConfig, source, { tokens: 16 }));
  assert.equal(added.length, store.names().length);
  assert.equal(store.names().length, 4 + 2 * 16); // embeddings (2), final LN (2), 16 per layer
  assert.deepEqual(store.info('text_model.encoder.layers.0.mlp.fc1.weight').shape, [64, 32]);
  const token = stats(store.readFloat32('text_model.embeddings.token_embedding.weight'));
  assert.ok(Math.abs(token.std - 0.02) < 0.002, `token embedding std ${token.std}`);
  const fc1 = stats(store.readFloat32('text_model.encoder.layers.0.mlp.fc1.weight'));
  // U(±1/√32): max → 0.177, std = bound/√3 = 0.102
  assert.ok(fc1.max <= 1 / Math.sqrt(32) && fc1.max > 0.17, `fc1 max ${fc1.max}`);
  assert.ok(Math.abs(fc1.std - 1 / Math.sqrt(32) / Math.sqrt(3)) < 0.01, `fc1 std ${fc1.std}`);
  const fc1Bias = stats(store.readFloat32('text_model.encoder.layers.0.mlp.fc1.bias'));
  assert.ok(fc1Bias.max > 0.05 && fc1Bias.max <= 1 / Math.sqrt(32), `fc1 bias max ${fc1Bias.max}`);
  assert.ok(store.readFloat32('text_model.final_layer_norm.weight').every((x) => x === 1));
  assert.ok(store.readFloat32('text_model.final_layer_norm.bias').every((x) => x === 0));
});

test('initial values are seeded per name: same seed same values, another seed other values', () => {
  const a = initialValue('conv_in.weight', [8, 4, 3, 3], 1);
  assert.deepEqual(initialValue('conv_in.weight', [8, 4, 3, 3], 1), a);
  assert.notDeepEqual(initialValue('conv_in.weight', [8, 4, 3, 3], 2), a);
  assert.notDeepEqual(initialValue('conv_out.weight', [8, 4, 3, 3], 1), a);
  // conv fan_in = 4·3·3 = 36 → bound 1/6
  assert.ok(stats(a).max <= 1 / 6 && stats(a).max > 0.15);
});

test('the initialised store loads into the real build, every weight used and trainable', () => {
  const store = new ParamStore('clip');
  initWeights(store, 7, (g, source) => buildClipTextModel(g, clipConfig, source, { tokens: 16 }));
  assert.deepEqual(initWeights(store, 99, (g, source) => buildClipTextModel(g, clipConfig, source, { tokens: 16 })), []);
  const g = new Graph();
  buildClipTextModel(g, clipConfig, store, { tokens: 16, batch: 3, trainable: true });
  const params = g.values.filter((v) => v.kind === 'param');
  assert.equal(params.length, store.names().length);
  assert.ok(params.every((v) => v.trainable === true));
  // the graph shares the store's arrays, so optimiser updates reach every session built from it
  assert.equal(params.find((v) => v.name === 'text_model.final_layer_norm.weight')!.data!.data, store.readFloat32('text_model.final_layer_norm.weight'));
});

test('a bad config fails the init build with the builder\'s own error', () => {
  assert.throws(() => initWeights(new ParamStore('x'), 1, (g, source) => buildClipTextModel(g, { ...clipConfig, hidden_act: 'relu6' }, source)), /relu6/);
});
