// Gradients through the UNet by the engine's autodiff against torch.autograd: loss = mean((unet(sample, [1, 500],
// ehs) − target)²) w.r.t. encoder_hidden_states, sample and three weights, and mean((out with key bias − target)²)
// w.r.t. the key bias. README: gradients compare relative to their absmax (we hold 1e-4).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineSession, Graph, grad, gradName, type Value } from '../../src/engine/index.ts';
import { buildUNet, type UNetValues } from '../../src/models/unet.ts';
import { float32 } from '../../src/tensor.ts';
import { ReferenceFile, assertCloseRelative } from '../support/model-reference.ts';
import { referenceSkip } from '../support/reference.ts';
import { fixtureUNet } from '../support/unet-reference.ts';

const PARAMS = ['conv_in.weight', 'time_embedding.linear_1.weight', 'conv_out.bias'];

/** mean((out − target)²) with target a graph input. */
function mseLoss(g: Graph, unet: UNetValues): Value {
  const target = g.input('target', 'float32', unet.noisePred.shape);
  const diff = g.sub(unet.noisePred, target);
  return g.reduceMean(g.mul(diff, diff), unet.noisePred.shape.map((_, i) => i));
}

const CASES = [
  { model: 'diffusers/unet_tiny', refs: 'diffusers/refs/unet_tiny_grad.safetensors', size: 8, checkpointing: false },
  { model: 'diffusers/unet_tiny', refs: 'diffusers/refs/unet_tiny_grad.safetensors', size: 8, checkpointing: true },
  { model: 'diffusers/unet_sd15ish', refs: 'diffusers/refs/unet_sd15ish_grad.safetensors', size: 16, checkpointing: false },
  { model: 'diffusers-extra/unet_sd2ish', refs: 'diffusers-extra/refs/unet_sd2ish_grad.safetensors', size: 16, checkpointing: false },
] as const;

for (const c of CASES) {
  test(`${c.model}${c.checkpointing ? ' with gradient checkpointing' : ''}: gradients w.r.t. encoder_hidden_states, sample and weights match torch autograd`, { skip: referenceSkip() }, async (t) => {
    const ref = new ReferenceFile(c.refs);
    const { config, weights } = fixtureUNet(c.model);
    const g = new Graph();
    const unet = buildUNet(g, config, weights, { batch: 2, heightLatPx: c.size, widthLatPx: c.size, trainable: (n) => PARAMS.includes(n), gradientCheckpointing: c.checkpointing });
    assert.equal(g.checkpointed.size > 0, c.checkpointing, 'checkpointed segments exist exactly when asked');
    const params = PARAMS.map((n) => g.values.find((v) => v.name === n)!);
    const loss = mseLoss(g, unet);
    const session = await EngineSession.create(grad(g, loss, [unet.encoderHiddenStates, unet.sample, ...params]), { cacheDir: false });
    const out = await session.run({
      sample: ref.tensor('sample'), encoder_hidden_states: ref.tensor('encoder_hidden_states'),
      timestep: float32([2], ref.tensor('timesteps').data), target: ref.tensor('target'),
    });
    const loss0 = (out['loss']!.data as Float32Array)[0]!;
    const lossRef = ref.tensor('loss').data[0]!;
    assert.ok(Math.abs(loss0 - lossRef) <= 1e-5 * Math.abs(lossRef), `loss ${loss0}, expected ${lossRef}`);
    const rel = [
      assertCloseRelative(out[gradName(unet.encoderHiddenStates)], ref.tensor('grad_encoder_hidden_states'), 'grad_encoder_hidden_states'),
      assertCloseRelative(out[gradName(unet.sample)], ref.tensor('grad_sample'), 'grad_sample'),
      ...params.map((p) => assertCloseRelative(out[gradName(p)], ref.tensor(`grad_param.${p.name}`), `grad_param.${p.name}`)),
    ];
    t.diagnostic(`worst gradient difference ${Math.max(...rel).toExponential(2)} of absmax`);
  });
}

for (const size of ['tiny', 'sd15ish'] as const) {
  test(`diffusers/unet_${size}: the gradient w.r.t. a key bias on every cross-attention matches torch autograd`, { skip: referenceSkip() }, async (t) => {
    const ref = new ReferenceFile(`diffusers/refs/unet_${size}_attn_bias.safetensors`);
    const forward = new ReferenceFile(`diffusers/refs/unet_${size}_forward.safetensors`);
    const { config, weights } = fixtureUNet(`diffusers/unet_${size}`);
    const latents = size === 'tiny' ? 8 : 16;
    const g = new Graph();
    const unet = buildUNet(g, config, weights, { batch: 2, heightLatPx: latents, widthLatPx: latents, logitBiasShape: [2, 77] });
    const session = await EngineSession.create(grad(g, mseLoss(g, unet), [unet.logitBias!]), { cacheDir: false });
    const out = await session.run({
      sample: forward.tensor('sample'), encoder_hidden_states: forward.tensor('encoder_hidden_states'), timestep: float32([2], [500, 500]),
      key_bias: ref.tensor('key_bias'), target: ref.tensor('grad_target'),
    });
    t.diagnostic(`grad_key_bias difference ${assertCloseRelative(out[gradName(unet.logitBias!)], ref.tensor('grad_key_bias'), 'grad_key_bias').toExponential(2)} of absmax`);
  });
}
