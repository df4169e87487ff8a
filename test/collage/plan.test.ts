import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCollageDocument, planCollage, type RgbaImage, type LayerId } from '../../src/collage/index.ts';
import { CLIP_CONTEXT_LENGTH } from '../../src/text/index.ts';
import { CollageError } from '../../src/errors.ts';
import { fakeTokenizer } from './fake-tokenizer.ts';

const opaque = (w: number, h: number): RgbaImage => ({ width: w, height: h, data: new Uint8Array(w * h * 4).fill(255) });

function planOf(doc: Record<string, unknown>, sizes: Record<string, [number, number]>, options = {}) {
  const parsed = parseCollageDocument(doc, '/tmp/p.collage.json');
  const layers = new Map<LayerId, RgbaImage>(parsed.layers.map((l) => [l.id, opaque(...sizes[l.id]!)]));
  return planCollage(parsed, { layers }, { tokenizer: fakeTokenizer, ...options });
}

const doc = {
  width: 128,
  height: 64,
  prompt: 'a {sea} under {sun} and a bird',
  layers: [
    { id: 'sea', image: 's.png', text: 'blue sea', x: 0, y: 32 },
    { id: 'sun', image: 'u.png', text: 'the sun', x: 96, y: 0, noise: 0.2, attention: { positive: 1.5 } },
    { id: 'bird', image: 'b.png', text: 'a bird', x: 10, y: 10, visible: false },
  ],
  generation: { strengthCap: 0.6 },
};
const sizes: Record<string, [number, number]> = { sea: [128, 32], sun: [16, 16], bird: [8, 8] };

test('the plan holds visible layers only, bottom first, with resolved controls', () => {
  const plan = planOf(doc, sizes);
  assert.deepEqual(plan.layers.map((l) => l.id), ['sea', 'sun']);
  const [sea, sun] = plan.layers;
  // sea: r = 128/128 = 1 → w+ 0.2, w- 0.4, noise 0.5 + 0.2 = 0.7 capped at 0.6; sun is the top layer.
  assert.equal(sea!.sizeRatio, 1);
  assert.ok(Math.abs(sea!.attention.positive - 0.2) < 1e-9 && Math.abs(sea!.attention.negative - 0.4) < 1e-9);
  assert.equal(sea!.noise, 0.6);
  // sun: r = 16/128 = 0.125 → w- = 0.9 − 0.0625; given w+ 1.5 and noise 0.2 are kept.
  assert.equal(sun!.attention.positive, 1.5);
  assert.ok(Math.abs(sun!.attention.negative - 0.8375) < 1e-9);
  assert.equal(sun!.noise, 0.2);
  assert.equal(plan.noiseStrength.sMax, 0.6);
  assert.equal(plan.sceneText, 'a blue sea under the sun and a bird');
  assert.deepEqual(sea!.tokenIndices, [2, 3]);
  assert.deepEqual(sun!.tokenIndices, [5, 6]);
});

test('latent, pyramid, loss mask and coefficient maps have the documented shapes and values', () => {
  const plan = planOf(doc, sizes);
  assert.deepEqual(plan.latent, { width: 16, height: 8 });
  assert.deepEqual(plan.attentionResolutions.map((r) => [r.width, r.height]), [[16, 8], [8, 4], [4, 2], [2, 1]]);
  const sun = plan.layers[1]!;
  assert.deepEqual(sun.maskPyramid.map((m) => m.length), [128, 32, 8, 2]);
  // The sun covers canvas x 96..112, y 0..16 → latent x 12..14, y 0..2.
  assert.equal(sun.lossMask[0 * 16 + 12], 1);
  assert.equal(sun.lossMask[0 * 16 + 14], 0);
  assert.equal(sun.maskPyramid[0]![1 * 16 + 13], 1);
  const coeff = plan.attentionCoefficients![0]!;
  assert.equal(coeff.length, 128 * CLIP_CONTEXT_LENGTH);
  const at = (p: number, j: number) => coeff[p * CLIP_CONTEXT_LENGTH + j]!;
  assert.equal(at(1 * 16 + 13, 5), 1.5, 'w+·1 inside the sun');
  assert.ok(Math.abs(at(0, 5) + 0.8375) < 1e-6, '−w− outside the sun');
  assert.equal(at(0, 1), 0, 'global token');
  assert.equal(at(0, 8), 0, 'the hidden bird’s words stay global');
  // Where the sea is fully visible the sea's tokens get w+ = 0.2.
  assert.ok(Math.abs(at(7 * 16 + 3, 2) - 0.2) < 1e-6);
});

test('learned tokens are inserted and belong to the layer span', () => {
  const plan = planOf(doc, sizes, { learnedTokens: new Map([['sun', '<sun>']]) });
  assert.equal(plan.sceneText, 'a blue sea under <sun> the sun and a bird');
  assert.deepEqual(plan.layers[1]!.tokenIndices, [5, 6, 7]);
});

test('a canvas not divisible by the latent scale is a CollageError', () => {
  assert.throws(() => planOf({ ...doc, width: 72 }, sizes, { latentScale: 16 }), (e: unknown) => e instanceof CollageError && /not divisible by the model's latent scale 16/.test(e.message));
});

test('no layers: the whole canvas is re-imagined at the strength cap', () => {
  const plan = planOf({ width: 64, height: 64, prompt: 'a beach', layers: [], generation: { strengthCap: 0.75 } }, {});
  assert.equal(plan.layers.length, 0);
  assert.ok(plan.noiseStrength.latent.every((v) => Math.abs(v - 0.75) < 1e-6));
  assert.deepEqual([...plan.composite.data.slice(0, 4)], [150, 150, 150, 255]);
});

test('a background image is fitted to cover the canvas, centred', () => {
  const parsed = parseCollageDocument({ width: 64, height: 64, prompt: 'a wall', background: { image: 'bg.png' }, layers: [] }, '/tmp/p.collage.json');
  // 32×16, left half red, right half blue → scale 4, 128×64, x from −32: canvas x ≤ 29 red, x ≥ 34 blue (bilinear between).
  const data = new Uint8Array(32 * 16 * 4);
  for (let p = 0; p < 32 * 16; p++) data.set(p % 32 < 16 ? [255, 0, 0, 255] : [0, 0, 255, 255], p * 4);
  const plan = planCollage(parsed, { layers: new Map(), background: { width: 32, height: 16, data } });
  const px = (x: number, y: number) => [...plan.composite.data.slice((y * 64 + x) * 4, (y * 64 + x) * 4 + 4)];
  assert.deepEqual(px(0, 0), [255, 0, 0, 255]);
  assert.deepEqual(px(28, 40), [255, 0, 0, 255]);
  assert.deepEqual(px(35, 40), [0, 0, 255, 255]);
  assert.deepEqual(px(63, 63), [0, 0, 255, 255]);
  assert.deepEqual(plan.background, plan.composite);
});
