// Additive biases on every cross-attention's logits, against diffusers (fixtures *_attn_bias: key bias [B, 77], full
// bias [B, heads, HW, 77], diffusers' native encoder_attention_mask = key bias (1 − mask)·−10000), and the collage
// bias of method.md §4 against a direct computation. Forward tolerance 1e-4 absolute + 1e-4 relative (README).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineSession, Graph } from '../../src/engine/index.ts';
import { collageCoefficientsInputName, COLLAGE_SCALE_INPUT, LOGIT_BIAS_INPUT } from '../../src/models/attention.ts';
import { buildUNet, UNET_OUTPUT, type UNetBuildOptions } from '../../src/models/unet.ts';
import { float32, type Tensor } from '../../src/tensor.ts';
import { ReferenceFile, assertClose, maxAbsDiff } from '../support/model-reference.ts';
import { referenceSkip } from '../support/reference.ts';
import { fixtureUNet } from '../support/unet-reference.ts';

async function unetSession(model: string, size: number, options: Partial<UNetBuildOptions>): Promise<EngineSession> {
  const { config, weights } = fixtureUNet(model);
  const g = new Graph();
  buildUNet(g, config, weights, { batch: 2, heightLatPx: size, widthLatPx: size, ...options });
  return EngineSession.create(g, { cacheDir: false });
}

function forwardFeeds(size: 'tiny' | 'sd15ish'): Record<string, Tensor> {
  const ref = new ReferenceFile(`diffusers/refs/unet_${size}_forward.safetensors`);
  return { sample: ref.tensor('sample'), encoder_hidden_states: ref.tensor('encoder_hidden_states'), timestep: float32([2], [500, 500]) };
}

for (const size of ['tiny', 'sd15ish'] as const) {
  const model = `diffusers/unet_${size}`;
  const latents = size === 'tiny' ? 8 : 16;
  test(`${model}: a key bias [B, 77] and diffusers' native text mask on every cross-attention match diffusers`, { skip: referenceSkip() }, async () => {
    const ref = new ReferenceFile(`diffusers/refs/unet_${size}_attn_bias.safetensors`);
    const session = await unetSession(model, latents, { logitBiasShape: [2, 77] });
    const feeds = forwardFeeds(size);
    const keyBias = ref.tensor('key_bias');
    assertClose((await session.run({ ...feeds, [LOGIT_BIAS_INPUT]: keyBias }))[UNET_OUTPUT], ref.tensor('out_key_bias'), 'out_key_bias');
    const mask = ref.tensor('encoder_attention_mask');
    const maskBias = float32(mask.shape, mask.data.map((m) => (1 - m) * -10000));
    assertClose((await session.run({ ...feeds, [LOGIT_BIAS_INPUT]: maskBias }))[UNET_OUTPUT], ref.tensor('out_native_mask'), 'out_native_mask');
    const zero = await session.run({ ...feeds, [LOGIT_BIAS_INPUT]: float32([2, 77]) });
    assertClose(zero[UNET_OUTPUT], ref.tensor('out_zero_bias'), 'out_zero_bias');
  });
}

test('diffusers/unet_tiny: a full bias [B, heads, HW, 77] on every cross-attention matches diffusers', { skip: referenceSkip() }, async () => {
  const ref = new ReferenceFile('diffusers/refs/unet_tiny_attn_bias.safetensors');
  const session = await unetSession('diffusers/unet_tiny', 8, { logitBiasShape: [2, 8, 16, 77] });
  const out = await session.run({ ...forwardFeeds('tiny'), [LOGIT_BIAS_INPUT]: ref.tensor('full_bias') });
  assertClose(out[UNET_OUTPUT], ref.tensor('out_full_bias'), 'out_full_bias');
});

test('diffusers/unet_sd15ish: the collage bias has one coefficient input per attention resolution and leaves the unconditional half untouched', { skip: referenceSkip() }, async () => {
  const forward = new ReferenceFile('diffusers/refs/unet_sd15ish_forward.safetensors');
  const session = await unetSession('diffusers/unet_sd15ish', 16, { collageBias: { conditional: [false, true] } });
  const resolutions = [256, 64, 16, 4];
  assert.deepEqual(session.inputNames.filter((n) => n.startsWith('collage_coeff_')).sort(), resolutions.map(collageCoefficientsInputName).sort());
  const coefficients = (fill: (p: number, j: number) => number) =>
    Object.fromEntries(resolutions.map((hw) => [collageCoefficientsInputName(hw), float32([hw, 77], Float32Array.from({ length: hw * 77 }, (_, i) => fill(Math.floor(i / 77), i % 77)))]));
  const feeds = { ...forwardFeeds('sd15ish'), [COLLAGE_SCALE_INPUT]: float32([1], [0.9]) };
  const expected = forward.tensor('out_t500');
  const zero = await session.run({ ...feeds, ...coefficients(() => 0) }, [UNET_OUTPUT]);
  assertClose(zero[UNET_OUTPUT], expected, 'A = 0');
  // w⁻ = 0.8 outside a mask covering the first half of the queries, on tokens 1..5
  const biased = (await session.run({ ...feeds, ...coefficients((p, j) => (j >= 1 && j <= 5 ? (p % 2 === 0 ? 0 : -0.8) : 0)) }, [UNET_OUTPUT]))[UNET_OUTPUT]!;
  const half = expected.data.length / 2;
  const uncond = maxAbsDiff(biased.data.subarray(0, half) as Float32Array, expected.data.subarray(0, half));
  const cond = maxAbsDiff(biased.data.subarray(half) as Float32Array, expected.data.subarray(half));
  assert.ok(uncond.diff < 1e-5, `unconditional half moved by ${uncond.diff}`);
  assert.ok(cond.diff > 1e-3, `conditional half moved by only ${cond.diff}`);
});
