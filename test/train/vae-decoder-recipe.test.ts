import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderBatch } from '../../src/train/data.ts';
import { createVaeDecoderTask, isDecoderWeight, withDecoder } from '../../src/train/vae-decoder-recipe.ts';
import { createVaeTask, EMBEDDED_VAE_CONFIG, vaeConfigOf } from '../../src/train/vae-recipe.ts';
import { auxiliaryRng } from '../../src/world/index.ts';

const tiny = { ...EMBEDDED_VAE_CONFIG, block_out_channels: [8, 8, 8, 8], norm_num_groups: 4 };

test('the decoder stage trains exactly the decoder half, from the VAE’s values, and leaves the encoder as it was', async () => {
  const vaeTask = await createVaeTask({ config: tiny, batchSize: 2, sizePx: 32, cropPx: 16, seed: 5 });
  await vaeTask.close?.();
  const vae = vaeTask.params;
  const task = await createVaeDecoderTask({ config: vaeConfigOf(tiny), vae, batchSize: 2, sizePx: 32, cropPx: 16, objectCrops: 1 });
  try {
    const names = [...task.params.names()];
    assert.deepEqual(names.sort(), vae.names().filter(isDecoderWeight).sort());
    assert.ok(names.includes('post_quant_conv.weight') && names.includes('decoder.conv_out.weight'));
    assert.deepEqual([...task.params.readFloat32('decoder.conv_out.weight')], [...vae.readFloat32('decoder.conv_out.weight')]);
    const out = await task.step(renderBatch(0, { batchSize: 2, sizePx: 32, objectMasks: true }), auxiliaryRng(1, 2));
    assert.ok(Number.isFinite(out.loss) && out.loss > 0.05, `loss ${out.loss}`);
    assert.deepEqual(Object.keys(out.grads).sort(), names.sort());
    assert.ok(out.grads['decoder.conv_out.weight']!.some((g) => g !== 0));
    // withDecoder: encoder values from the VAE, decoder values from the stage
    task.params.readFloat32('decoder.conv_out.weight').fill(0.25);
    const merged = withDecoder(vae, task.params);
    assert.equal(merged.readFloat32('decoder.conv_out.weight')[0], 0.25);
    assert.equal(merged.readFloat32('encoder.conv_in.weight'), vae.readFloat32('encoder.conv_in.weight'));
    assert.notEqual(vae.readFloat32('decoder.conv_out.weight')[0], 0.25);
  } finally {
    await task.close?.();
  }
});
