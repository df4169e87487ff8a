// UNet2DConditionModel forward against diffusers: the fixture UNets' outputs at several timesteps and every captured
// intermediate (README tolerance for forward values: 1e-4 absolute + 1e-4 relative).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineSession, Graph } from '../../src/engine/index.ts';
import { buildUNet, UNET_OUTPUT } from '../../src/models/unet.ts';
import { float32 } from '../../src/tensor.ts';
import { ReferenceFile, assertClose } from '../support/model-reference.ts';
import { referenceSkip } from '../support/reference.ts';
import { fixtureUNet, tapName } from '../support/unet-reference.ts';

const CASES = [
  { model: 'diffusers/unet_tiny', refs: 'diffusers/refs/unet_tiny_forward.safetensors', size: 8 },
  { model: 'diffusers/unet_sd15ish', refs: 'diffusers/refs/unet_sd15ish_forward.safetensors', size: 16 },
  { model: 'diffusers-extra/unet_sd2ish', refs: 'diffusers-extra/refs/unet_sd2ish_forward.safetensors', size: 16 },
] as const;

for (const c of CASES) {
  test(`${c.model} matches diffusers at t = 1, 500, [1, 500], non-integer t, and every captured intermediate`, { skip: referenceSkip() }, async (t) => {
    const ref = new ReferenceFile(c.refs);
    const captures = ref.names().filter((n) => tapName(n) !== undefined);
    const { config, weights } = fixtureUNet(c.model);
    const g = new Graph();
    buildUNet(g, config, weights, { batch: 2, heightLatPx: c.size, widthLatPx: c.size, taps: captures.map((n) => tapName(n)!) });
    const session = await EngineSession.create(g, { cacheDir: false });
    const sample = ref.tensor('sample');
    const encoderHiddenStates = ref.tensor('encoder_hidden_states');
    const run = (t: readonly number[], outputs?: string[]) => session.run({ sample, encoder_hidden_states: encoderHiddenStates, timestep: float32([2], t) }, outputs);
    const at500 = await run([500, 500]);
    assert.ok(captures.length >= 20, `${captures.length} captures`);
    let worst = 0;
    for (const name of captures) worst = Math.max(worst, assertClose(at500[tapName(name)!], ref.tensor(name), name));
    t.diagnostic(`${captures.length} intermediates, worst max-abs diff ${worst.toExponential(2)}; out_t500 ${assertClose(at500[UNET_OUTPUT], ref.tensor('out_t500'), 'out_t500').toExponential(2)}`);
    assertClose((await run([1, 1], [UNET_OUTPUT]))[UNET_OUTPUT], ref.tensor('out_t1'), 'out_t1');
    if (ref.has('out_tmixed')) {
      const tmixed = ref.tensor('timesteps_tmixed');
      assertClose((await run([...tmixed.data], [UNET_OUTPUT]))[UNET_OUTPUT], ref.tensor('out_tmixed'), 'out_tmixed');
    }
    if (ref.has('out_tfloat')) {
      const tfloat = ref.tensor('timesteps_tfloat');
      assertClose((await run([...tfloat.data], [UNET_OUTPUT]))[UNET_OUTPUT], ref.tensor('out_tfloat'), 'out_tfloat');
    }
  });
}

test('diffusers/unet_sd15ish with self-attention in query chunks gives the same output', { skip: referenceSkip() }, async () => {
  const ref = new ReferenceFile('diffusers/refs/unet_sd15ish_forward.safetensors');
  const { config, weights } = fixtureUNet('diffusers/unet_sd15ish');
  const g = new Graph();
  // 64 KiB: the 256-token self-attentions ([2, 8, 256, 256] = 4 MiB of scores) run in 64 chunks of 4 queries
  buildUNet(g, config, weights, { batch: 2, heightLatPx: 16, widthLatPx: 16, maxAttentionScoreBytes: 64 * 1024 });
  const chunks = g.nodes.filter((n) => n.op === 'Attention' && n.inputs[0]!.shape[1] === 256 && n.inputs[1]!.shape[1] === 256).map((n) => (n.attrs as { queryChunk?: number }).queryChunk);
  assert.ok(chunks.length > 0 && chunks.every((c) => c === 4), `256-token self-attentions in chunks of 4: ${chunks.join(', ')}`);
  // Unfused, so the chunks run (the fused forward is one MultiHeadAttention whatever the chunk).
  const session = await EngineSession.create(g, { cacheDir: false, fused: false });
  const out = await session.run({ sample: ref.tensor('sample'), encoder_hidden_states: ref.tensor('encoder_hidden_states'), timestep: float32([2], [500, 500]) });
  assertClose(out[UNET_OUTPUT], ref.tensor('out_t500'), 'out_t500 (chunked)');
});
