import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderBatch } from '../../src/train/data.ts';
import { centreOnObjects, createVaeTask, EMBEDDED_VAE_CONFIG, psnr, reconstructHeldOut, vaeConfigOf } from '../../src/train/vae-recipe.ts';
import { auxiliaryRng, rgbImage } from '../../src/world/index.ts';

const tiny = { ...EMBEDDED_VAE_CONFIG, block_out_channels: [8, 8, 8, 8], norm_num_groups: 4 };

test('one VAE step chains encoder and decoder: a finite loss and a nonzero gradient for every weight of both halves', async () => {
  const task = await createVaeTask({ config: tiny, batchSize: 2, sizePx: 32, cropPx: 16, edgeWeight: 0.5 });
  try {
    const out = await task.step(renderBatch(0, { batchSize: 2, sizePx: 32 }), auxiliaryRng(1, 2));
    assert.ok(Number.isFinite(out.loss) && out.loss > 0.05, `loss ${out.loss}`);
    assert.deepEqual(Object.keys(out.grads).sort(), [...task.params.names()].sort());
    for (const name of ['encoder.conv_in.weight', 'quant_conv.weight', 'decoder.conv_out.weight']) {
      assert.ok(out.grads[name]!.some((g) => g !== 0), `gradient of ${name} is all zero`);
    }
    assert.ok(out.metrics!['kl']! >= 0);
  } finally {
    await task.close?.();
  }
});

test('with objectWeight the step renders object masks and weights their pixels (a different loss, same gradient names)', async () => {
  const plain = await createVaeTask({ config: tiny, batchSize: 2, sizePx: 32, cropPx: 16, seed: 3 });
  const weighted = await createVaeTask({ config: tiny, batchSize: 2, sizePx: 32, cropPx: 16, seed: 3, objectWeight: 9 });
  try {
    const batch = renderBatch(0, { batchSize: 2, sizePx: 32, objectMasks: true });
    assert.ok(batch.objectMasks!.some((m) => m > 0.5) && batch.objectMasks!.every((m) => m >= 0 && m <= 1));
    const a = await plain.step(batch, auxiliaryRng(1, 2));
    const b = await weighted.step(batch, auxiliaryRng(1, 2));
    assert.ok(b.metrics!['rec']! > a.metrics!['rec']!, `weighted ${b.metrics!['rec']} vs plain ${a.metrics!['rec']}`);
    assert.deepEqual(Object.keys(b.grads).sort(), Object.keys(a.grads).sort());
  } finally {
    await plain.close?.();
    await weighted.close?.();
  }
});

test('held-out reconstruction reports PSNR, latent std and a 2-row grid', async () => {
  const task = await createVaeTask({ config: tiny, batchSize: 2, sizePx: 32, cropPx: 16 });
  const m = await reconstructHeldOut(task.params, vaeConfigOf(tiny), 4, 32);
  await task.close?.();
  assert.ok(m.psnrDb > 0 && m.psnrDb < 25, `untrained PSNR ${m.psnrDb}`);
  assert.ok(Number.isFinite(m.objectPsnrDb) && m.objectPsnrDb > 0 && m.objectPsnrDb < 25, `object PSNR ${m.objectPsnrDb}`);
  assert.ok(m.latentStd > 0);
  assert.equal(m.grid.height, 2 * (32 + 4) + 4);
});

test('PSNR of an image with itself is capped at 120 dB, and a uniform 0.1 error gives 20 dB', () => {
  const a = rgbImage(4, 4);
  assert.equal(psnr(a, a), 120);
  const b = { ...a, data: a.data.map(() => 0.1) };
  assert.ok(Math.abs(psnr(a, b) - 20) < 1e-5);
});

test('object crops centre on a covered pixel, clamped to the image; share 0 keeps the random crops', () => {
  const size = 32;
  const masks = new Float32Array(2 * size * size);
  masks[5 * size + 30] = 1; // image 0: one object pixel at (x 30, y 5)
  const random = [{ x0: 0, y0: 16, flip: true }, { x0: 3, y0: 4, flip: false }];
  const centred = centreOnObjects(random, masks, 1, size, 16, auxiliaryRng(1, 2));
  assert.deepEqual(centred[0], { x0: 16, y0: 0, flip: true }); // 30 − 8 = 22 → clamped to 32 − 16; 5 − 8 → 0
  assert.deepEqual(centred[1], random[1]); // no object in image 1: unchanged
  assert.deepEqual(centreOnObjects(random, masks, 0, size, 16, auxiliaryRng(1, 2)), random);
});
