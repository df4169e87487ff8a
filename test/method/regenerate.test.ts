import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regenerationPlan } from '../../src/method/index.ts';
import { loadCollageImages, parseCollageDocument, planCollage, type RgbaImage } from '../../src/collage/index.ts';
import { pngDataUri } from '../../src/io/index.ts';
import { CollageError } from '../../src/errors.ts';

const SIZE = 64;

async function square(rgb: [number, number, number], size: number): Promise<string> {
  const data = new Uint8Array(size * size * 4);
  for (let p = 0; p < size * size; p++) data.set([...rgb, 255], p * 4);
  return pngDataUri({ width: size, height: size, data });
}

async function collage() {
  const document = parseCollageDocument(
    {
      width: SIZE,
      height: SIZE,
      prompt: '{a} and {b}',
      layers: [
        { id: 'a', image: await square([255, 0, 0], 16), text: 'red', x: 4, y: 4, noise: 0.5 },
        { id: 'b', image: await square([0, 255, 0], 16), text: 'green', x: 40, y: 40, noise: 0.9 },
      ],
    },
    join(tmpdir(), 'regen.collage.json'),
  );
  return { document, images: await loadCollageImages(document) };
}

/** A previous output: a mid-grey canvas with a blue tint. */
function previousImage(): RgbaImage {
  const data = new Uint8Array(SIZE * SIZE * 4);
  for (let p = 0; p < SIZE * SIZE; p++) data.set([100, 100, 200, 255], p * 4);
  return { width: SIZE, height: SIZE, data };
}

test('re-generating one layer pastes only it over the previous output and keeps everything else at strength 0', async () => {
  const input = await collage();
  const plan = planCollage(input.document, input.images, { latentScale: 8 });
  const regen = regenerationPlan(plan, input, previousImage(), ['b']);
  const px = (x: number, y: number) => [...regen.composite.data.slice((y * SIZE + x) * 4, (y * SIZE + x) * 4 + 3)];
  assert.deepEqual(px(8, 8), [100, 100, 200], 'layer a is not pasted again: the previous output shows');
  assert.deepEqual(px(48, 48), [0, 255, 0], 'layer b is pasted');
  assert.deepEqual(px(30, 2), [100, 100, 200]);
  const s = regen.noiseStrength;
  assert.equal(s.sMax, 0.9);
  const latentAt = (x: number, y: number) => s.latent[y * plan.latent.width + x]!;
  assert.ok(latentAt(0, 0) < 1e-6, `far from b the strength is 0, got ${latentAt(0, 0)}`);
  assert.ok(Math.abs(latentAt(6, 6) - 0.9) < 0.05, `inside b it is b's noise, got ${latentAt(6, 6)}`);
  assert.equal(regen.layers.find((l) => l.id === 'a')!.noise, 0);
  assert.equal(regen.layers.find((l) => l.id === 'b')!.noise, 0.9);
});

test('re-generating an unknown layer or from an image of another size is a collage error naming both', async () => {
  const input = await collage();
  const plan = planCollage(input.document, input.images, { latentScale: 8 });
  assert.throws(() => regenerationPlan(plan, input, { width: 32, height: 32, data: new Uint8Array(32 * 32 * 4) }, ['c']), (e: unknown) => {
    assert.ok(e instanceof CollageError);
    assert.match(e.message, /no visible layer "c" to re-generate/);
    assert.match(e.message, /use one of a, b/);
    assert.match(e.message, /previous image is 32×32, the collage 64×64/);
    return true;
  });
});
