// CLIPTextModel against transformers 4.36: the quick_gelu tiny encoder (diffusers/refs/clip_text), the GELU encoder
// (diffusers-extra/refs/text_encoder_gelu) and the gradients w.r.t. inputs_embeds that textual inversion needs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EngineSession, Graph, grad, gradName } from '../../src/engine/index.ts';
import { ModelError } from '../../src/errors.ts';
import { resolveModelConfig, type CLIPTextConfig } from '../../src/io/diffusers-config.ts';
import { openSafetensors } from '../../src/io/safetensors.ts';
import { buildClipTextModel, type ClipTextOptions } from '../../src/models/clip-text.ts';
import type { WeightSource } from '../../src/models/weights.ts';
import { int64, type Tensor } from '../../src/tensor.ts';
import { ReferenceFile, assertClose, assertCloseRelative } from '../support/model-reference.ts';
import { referencePath, referenceSkip } from '../support/reference.ts';

function loadEncoder(dir: string): { config: CLIPTextConfig; weights: () => WeightSource } {
  const raw = JSON.parse(readFileSync(referencePath(`${dir}/config.json`), 'utf8')) as Record<string, unknown>;
  const config = resolveModelConfig('CLIPTextModel', raw, `${dir}/config.json`) as CLIPTextConfig;
  return { config, weights: () => openSafetensors(referencePath(`${dir}/model.safetensors`)) };
}

function ids(t: Tensor<'float32'>): Tensor<'int64'> {
  return int64(t.shape, Array.from(t.data, (v) => BigInt(v)));
}

async function runEncoder(dir: string, options: ClipTextOptions, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const { config, weights } = loadEncoder(dir);
  const g = new Graph();
  buildClipTextModel(g, config, weights(), options);
  const session = await EngineSession.create(g, { cacheDir: false });
  return session.run(feeds);
}

test('the quick_gelu tiny text encoder matches transformers: last, pooled, all hidden states, clip skip (1e-4)', { skip: referenceSkip() }, async (t) => {
  const ref = new ReferenceFile('diffusers/refs/clip_text.safetensors');
  const out = await runEncoder('diffusers/text_encoder_tiny', { batch: 2, hiddenStates: true, clipSkip: 1 }, { input_ids: ids(ref.tensor('input_ids')) });
  assertClose(out['last_hidden_state'], ref.tensor('last_hidden_state'), 'last_hidden_state');
  assertClose(out['pooler_output'], ref.tensor('pooler_output'), 'pooler_output');
  assertClose(out['hidden_states'], ref.tensor('hidden_states'), 'hidden_states');
  const diff = assertClose(out['prompt_embeds'], ref.tensor('penultimate_after_final_ln'), 'penultimate_after_final_ln');
  t.diagnostic(`last_hidden_state max-abs diff ${assertClose(out['last_hidden_state'], ref.tensor('last_hidden_state'), 'last')}, penultimate ${diff}`);
});

test('the empty-prompt ids of the tiny encoder give the reference unconditional embedding (1e-4)', { skip: referenceSkip() }, async () => {
  const ref = new ReferenceFile('diffusers/refs/clip_text.safetensors');
  const out = await runEncoder('diffusers/text_encoder_tiny', { batch: 1 }, { input_ids: ids(ref.tensor('uncond_input_ids')) });
  assertClose(out['last_hidden_state'], ref.tensor('uncond_last_hidden_state'), 'uncond_last_hidden_state');
});

test('the GELU text encoder (SD 2.x activation) matches transformers, hidden states and clip skip included (1e-4)', { skip: referenceSkip() }, async () => {
  const ref = new ReferenceFile('diffusers-extra/refs/text_encoder_gelu.safetensors');
  const out = await runEncoder('diffusers-extra/text_encoder_gelu', { batch: 2, hiddenStates: true, clipSkip: 1 }, { input_ids: ids(ref.tensor('input_ids')) });
  assertClose(out['last_hidden_state'], ref.tensor('last_hidden_state'), 'last_hidden_state');
  assertClose(out['hidden_states'], ref.tensor('hidden_states'), 'hidden_states');
  assertClose(out['prompt_embeds'], ref.tensor('penultimate_after_final_ln'), 'penultimate_after_final_ln');
});

for (const [dir, file] of [
  ['diffusers/text_encoder_tiny', 'diffusers-extra/refs/text_encoder_tiny_grad.safetensors'],
  ['diffusers-extra/text_encoder_gelu', 'diffusers-extra/refs/text_encoder_gelu.safetensors'],
] as const) {
  test(`${dir}: gradients of sum(last_hidden_state·R) w.r.t. inputs_embeds, the placeholder row and positions match torch autograd (1e-4 of absmax)`, { skip: referenceSkip() }, async (t) => {
    const ref = new ReferenceFile(file);
    const { config, weights } = loadEncoder(dir);
    const g = new Graph();
    const built = buildClipTextModel(g, config, weights(), { batch: 2, input: 'inputs_embeds' });
    const r = g.input('loss_weights_R', 'float32', ref.tensor('loss_weights_R').shape);
    const loss = g.reduceSum(g.mul(built.lastHiddenState, r), [0, 1, 2]);
    const session = await EngineSession.create(grad(g, loss, [built.input]), { cacheDir: false });
    const embeds = ref.tensor('inputs_embeds');
    const out = await session.run({ inputs_embeds: embeds, loss_weights_R: ref.tensor('loss_weights_R') });
    assertClose(out['last_hidden_state'], ref.tensor('last_hidden_state'), 'last_hidden_state');
    assert.ok(Math.abs(out['loss']!.data[0] as number - ref.tensor('loss').data[0]!) <= 1e-4 * Math.max(1, Math.abs(ref.tensor('loss').data[0]!)), 'loss');
    const dEmbeds = out[gradName(built.input)]!;
    assertCloseRelative(dEmbeds, ref.tensor('grad_inputs_embeds'), 'grad_inputs_embeds');
    // Textual inversion's row gradient: the sum over the positions holding the placeholder id 999.
    const inputIds = ref.tensor('input_ids').data;
    const width = config.hidden_size;
    const row = new Float32Array(width);
    inputIds.forEach((id, p) => {
      if (id === 999) for (let d = 0; d < width; d++) row[d]! += (dEmbeds.data as Float32Array)[p * width + d]!;
    });
    assertCloseRelative({ dtype: 'float32', shape: [width], data: row }, ref.tensor('grad_token_embedding_row_placeholder'), 'grad_token_embedding_row_placeholder');
    // The position table is added to both rows: its gradient is grad_inputs_embeds summed over the batch.
    const half = dEmbeds.data.length / 2;
    const positions = Float32Array.from({ length: half }, (_, i) => (dEmbeds.data as Float32Array)[i]! + (dEmbeds.data as Float32Array)[half + i]!);
    const rel = assertCloseRelative({ dtype: 'float32', shape: [77, width], data: positions }, ref.tensor('grad_position_embedding'), 'grad_position_embedding');
    t.diagnostic(`grad_inputs_embeds/grad_position_embedding max-abs diff relative to absmax: ${rel.toExponential(2)}`);
  });
}

test('an unsupported activation and an out-of-range clip skip are reported together, naming the fields', { skip: referenceSkip() }, () => {
  const { config, weights } = loadEncoder('diffusers/text_encoder_tiny');
  const bad = { ...config, hidden_act: 'relu' };
  assert.throws(
    () => buildClipTextModel(new Graph(), bad, weights(), { clipSkip: 9 }),
    (e: unknown) => e instanceof ModelError && e.problems.length === 2 && /hidden_act "relu".*quick_gelu, gelu/.test(e.message) && /clip skip 9 is outside 0\.\.4/.test(e.message),
  );
});

test('weights of another width are named with their expected shapes', { skip: referenceSkip() }, () => {
  const { config, weights } = loadEncoder('diffusers/text_encoder_tiny');
  assert.throws(
    () => buildClipTextModel(new Graph(), { ...config, intermediate_size: 40 }, weights()),
    (e: unknown) => e instanceof ModelError && /"text_model\.encoder\.layers\.0\.mlp\.fc1\.weight" has shape \[37, 32\], expected \[40, 32\]/.test(e.message),
  );
});
