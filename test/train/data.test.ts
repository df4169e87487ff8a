import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchStream, renderBatch } from '../../src/train/data.ts';
import { captionOf, renderScene, sampleScene, sceneRng } from '../../src/world/index.ts';

test('batch k holds training scenes kB … kB+B−1 as NCHW images in [-1, 1]', () => {
  const batch = renderBatch(3, { batchSize: 2, sizePx: 16 });
  assert.equal(batch.images.length, 2 * 3 * 16 * 16);
  const scene = sampleScene(sceneRng('train', 7)); // batch 3, second image
  const rgb = renderScene(scene, 16).data;
  const plane = 256;
  // pixel (y=5, x=9), green channel of image 1
  const p = 5 * 16 + 9;
  assert.ok(Math.abs(batch.images[3 * plane + plane + p]! - (rgb[p * 3 + 1]! * 2 - 1)) < 1e-6);
  assert.ok(batch.images.every((v) => v >= -1 && v <= 1));
  assert.equal(batch.captions.length, 2);
});

test('training captions drop words and are sometimes empty, about 10% of the time', () => {
  const captions: string[] = [];
  for (let k = 0; k < 50; k++) captions.push(...renderBatch(k, { batchSize: 8, sizePx: 8 }).captions);
  const empty = captions.filter((c) => c === '').length / captions.length;
  assert.ok(empty > 0.05 && empty < 0.16, `empty fraction ${empty}`);
  const full = captions.filter((c, i) => c === captionOf(sampleScene(sceneRng('train', i)))).length;
  assert.ok(full < captions.length * 0.5, `${full} of ${captions.length} captions kept every word`);
});

test('the worker stream returns batches in order, identical to rendering them in place, from any start', async () => {
  const stream = new BatchStream({ batchSize: 2, sizePx: 16 }, 5, 2);
  try {
    const a = await stream.next();
    const b = await stream.next();
    assert.equal(a.index, 5);
    assert.equal(b.index, 6);
    assert.equal(stream.position, 7);
    assert.deepEqual(b.images, renderBatch(6, { batchSize: 2, sizePx: 16 }).images);
    assert.deepEqual(b.captions, renderBatch(6, { batchSize: 2, sizePx: 16 }).captions);
  } finally {
    await stream.close();
  }
});

test('object masks come with the same images, covering the objects only', () => {
  const plain = renderBatch(2, { batchSize: 2, sizePx: 32 });
  const masked = renderBatch(2, { batchSize: 2, sizePx: 32, objectMasks: true });
  assert.deepEqual(masked.images, plain.images);
  assert.equal(plain.objectMasks, undefined);
  const covered = masked.objectMasks!.filter((m) => m > 0).length / masked.objectMasks!.length;
  assert.ok(covered > 0.005 && covered < 0.5, `object coverage ${covered}`);
});

test('a batch size of 0 is rejected naming the field', () => {
  assert.throws(() => new BatchStream({ batchSize: 0, sizePx: 16 }, 0), /batchSize 0/);
});
