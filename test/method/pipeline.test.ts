import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../../src/method/index.ts';
import { StableDiffusion } from '../../src/models/index.ts';
import { parseCollageDocument, loadCollageImages } from '../../src/collage/index.ts';
import { pngDataUri } from '../../src/io/index.ts';
import { referenceSkip } from '../support/reference.ts';
import { makeTinyModelFolder } from '../support/tiny-model.ts';

const skip = referenceSkip();
let model: StableDiffusion;

/** A 64×64 canvas (the format's minimum; 32×32 latents with the tiny VAE) with three solid-colour square layers, images inline. */
async function threeLayerCollage() {
  const square = async (rgb: [number, number, number], size: number) => {
    const data = new Uint8Array(size * size * 4);
    for (let p = 0; p < size * size; p++) data.set([...rgb, 255], p * 4);
    return pngDataUri({ width: size, height: size, data });
  };
  const doc = parseCollageDocument(
    {
      version: 1,
      width: 64,
      height: 64,
      prompt: 'a {sun} over {sea} and {boat}',
      layers: [
        { id: 'sea', image: await square([0, 0, 255], 64), text: 'blue sea', x: 0, y: 32 },
        { id: 'boat', image: await square([255, 0, 0], 24), text: 'red boat', x: 20, y: 24, noise: 0.6 },
        { id: 'sun', image: await square([255, 255, 0], 16), text: 'sun', x: 44, y: 4, noise: 0.9 },
      ],
    },
    join(tmpdir(), 'three.collage.json'),
  );
  return { document: doc, images: await loadCollageImages(doc) };
}

before(async () => {
  if (skip) return;
  model = await StableDiffusion.load(makeTinyModelFolder(), { cacheDir: mkdtempSync(join(tmpdir(), 'collage-cache-')) });
});
after(async () => model?.release());

test('generate on a 3-layer collage with the tiny models gives one opaque canvas-size image per variant', { skip }, async () => {
  const collage = await threeLayerCollage();
  const result = await generate(collage, model, { steps: 4, seed: 3, n: 3, inversion: false });
  assert.equal(result.images.length, 3);
  assert.deepEqual(result.seeds, [3, 4, 5]);
  for (const image of result.images) {
    assert.equal(image.width, 64);
    assert.equal(image.height, 64);
    assert.ok(image.data.every((v, i) => i % 4 !== 3 || v === 255));
  }
  assert.notDeepEqual(result.images[0]!.data, result.images[1]!.data, 'different seeds give different images');
  const again = await generate(collage, model, { steps: 4, seed: 3, n: 1, inversion: false });
  assert.deepEqual(again.images[0]!.data, result.images[0]!.data, 'same seed → same pixels');
});

test('the attention mask changes the image and can be switched off', { skip }, async () => {
  const collage = await threeLayerCollage();
  const on = await generate(collage, model, { steps: 3, seed: 1, inversion: false });
  const off = await generate(collage, model, { steps: 3, seed: 1, inversion: false, attentionMask: false });
  assert.notDeepEqual(on.images[0]!.data, off.images[0]!.data);
});

test('with inversion each inverted layer gets a learned token inside its span, and the result differs from no inversion', { skip }, async () => {
  const collage = await threeLayerCollage();
  const cacheDir = mkdtempSync(join(tmpdir(), 'collage-embeddings-'));
  const events: string[] = [];
  const withTokens = await generate(collage, model, {
    steps: 2,
    seed: 4,
    inversionOptions: { steps: 2, batch: 1, cacheDir },
    onProgress: (e) => e.stage === 'invert' && e.step === e.total && events.push(e.detail ?? ''),
  });
  assert.match(withTokens.plan.sceneText, /<sun> sun over <sea> blue sea and <boat> red boat/);
  for (const layer of withTokens.plan.layers) {
    const first = layer.tokenIndices![0]!;
    assert.equal(withTokens.plan.tokens!.offsets[first]![1] - withTokens.plan.tokens!.offsets[first]![0], layer.id.length + 2, `${layer.id}: the span starts with its learned token`);
  }
  assert.equal(events.length, 3, 'one inversion per layer');
  const without = await generate(collage, model, { steps: 2, seed: 4, inversion: false });
  assert.notDeepEqual(withTokens.images[0]!.data, without.images[0]!.data);
});

test('a canvas the model cannot do is a model error naming the nearest sizes that work', async () => {
  const { checkModelCanDoSize } = await import('../../src/method/index.ts');
  const sd15Like = { vaeScaleFactor: 8, unetConfig: { block_out_channels: [320, 640, 1280, 1280] } } as unknown as StableDiffusion;
  const doc = parseCollageDocument({ width: 520, height: 512, prompt: 'a cat', layers: [] }, 'cat.collage.json');
  assert.throws(() => checkModelCanDoSize(sd15Like, doc), (e: unknown) => {
    assert.ok(e instanceof Error && e.name === 'ModelError');
    assert.match(e.message, /cat\.collage\.json → width: width 520 is not a multiple of 64, which this model needs \(fix: use 512 or 576\)/);
    return true;
  });
});
