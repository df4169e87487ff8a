import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePsdUint8Array } from 'ag-psd';
import { strToU8, zipSync } from 'fflate';
import { InputError } from '../../src/errors.ts';
import { importAndWrite, importDemo, importOra, importPsd, loadCollage, planCollage, rasterizePolygon, type RgbaImage } from '../../src/collage/index.ts';
import { encodePng, pngDataUri } from '../../src/io/index.ts';

/** A w×h image whose pixel (x, y) is (x·10, y·10, seed, alpha). */
function pattern(w: number, h: number, seed: number, alpha = 255): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x * 10, y * 10, seed, alpha], (y * w + x) * 4);
  return { width: w, height: h, data };
}
const tmp = () => mkdtemp(join(tmpdir(), 'collage-import-'));

test('PSD: pixel layers become layers bottom first, with positions, opacity, hidden state and names as text', () => {
  const sky = pattern(64, 32, 1);
  const car = pattern(16, 8, 2);
  const hidden = pattern(4, 4, 3);
  const bytes = writePsdUint8Array({
    width: 64,
    height: 64,
    children: [
      { name: 'Sky', left: 0, top: 0, imageData: { width: 64, height: 32, data: new Uint8ClampedArray(sky.data) } },
      { name: 'group', children: [{ name: 'red car', left: 10, top: 20, opacity: 0.5, imageData: { width: 16, height: 8, data: new Uint8ClampedArray(car.data) } }] },
      { name: 'Hidden one', left: 40, top: 44, hidden: true, imageData: { width: 4, height: 4, data: new Uint8ClampedArray(hidden.data) } },
    ],
  });
  const imported = importPsd(bytes, 'scene.psd');
  assert.deepEqual(imported.document, {
    version: 1,
    width: 64,
    height: 64,
    prompt: '{sky}, {red-car}, {hidden-one}',
    layers: [
      { id: 'sky', image: 'layers/sky.png', text: 'Sky', x: 0, y: 0 },
      { id: 'red-car', image: 'layers/red-car.png', text: 'red car', x: 10, y: 20 },
      { id: 'hidden-one', image: 'layers/hidden-one.png', text: 'Hidden one', x: 40, y: 44, visible: false },
    ],
  });
  assert.deepEqual(imported.images.get('sky'), sky);
  const carPixels = imported.images.get('red-car')!;
  assert.deepEqual([...carPixels.data.slice(0, 4)], [0, 0, 2, 128], 'opacity 0.5 halves alpha');
  assert.deepEqual([...carPixels.data.slice((7 * 16 + 15) * 4, (7 * 16 + 15) * 4 + 3)], [150, 70, 2]);
});

test('PSD: a canvas that is not a multiple of 8 is an InputError with the fix', () => {
  const bytes = writePsdUint8Array({ width: 100, height: 64, children: [] });
  assert.throws(() => importPsd(bytes, 'odd.psd'), (e: unknown) => e instanceof InputError && /100×64/.test(e.message) && /multiples of 8/.test(e.message));
  assert.throws(() => importPsd(new Uint8Array([1, 2, 3]), 'junk.psd'), (e: unknown) => e instanceof InputError && /not a readable PSD/.test(e.message));
});

test('ORA: stack.xml order (top first) becomes bottom first, nested stacks add offsets and opacity', async () => {
  const back = pattern(8, 8, 5);
  const tree = pattern(4, 6, 6);
  const bird = pattern(2, 2, 7);
  const stack = `<?xml version="1.0" encoding="UTF-8"?>
<image version="0.0.3" w="128" h="64">
  <stack>
    <layer name="a bird &amp; friend" src="data/bird.png" x="100" y="5" visibility="hidden"/>
    <stack x="20" y="10" opacity="0.5">
      <layer name="tree" src="data/tree.png" x="3" y="4"/>
    </stack>
    <layer name="background" src="data/back.png" x="0" y="0"/>
  </stack>
</image>`;
  const zip = zipSync({
    mimetype: strToU8('image/openraster'),
    'stack.xml': strToU8(stack),
    'data/back.png': await encodePng(back),
    'data/tree.png': await encodePng(tree),
    'data/bird.png': await encodePng(bird),
  });
  const imported = await importOra(zip, 'scene.ora');
  assert.deepEqual(imported.document.layers, [
    { id: 'background', image: 'layers/background.png', text: 'background', x: 0, y: 0 },
    { id: 'tree', image: 'layers/tree.png', text: 'tree', x: 23, y: 14 },
    { id: 'a-bird-friend', image: 'layers/a-bird-friend.png', text: 'a bird & friend', x: 100, y: 5, visible: false },
  ]);
  assert.equal(imported.document.width, 128);
  assert.deepEqual(imported.images.get('background'), back);
  assert.equal(imported.images.get('tree')!.data[3], 128);
  await assert.rejects(importOra(zipSync({ 'x.txt': strToU8('hi') }), 'bad.ora'), /no stack\.xml/);
});

test('polygon cut-outs are anti-aliased: a half-square triangle covers half the pixels', () => {
  const cov = rasterizePolygon([{ x: 0, y: 0 }, { x: 8, y: 0 }, { x: 0, y: 8 }], 8, 8);
  assert.equal(cov[0], 1);
  assert.equal(cov[63], 0);
  assert.equal(cov[7], 6 / 16, 'diagonal pixel (7,0)');
  // 4×4 samples exactly on the diagonal count as outside: 8 edge pixels at 6/16 instead of 8/16.
  assert.equal(cov.reduce((a, b) => a + b, 0), 28 + 8 * (6 / 16));
});

test('official demo state: scale, negative position, rotation, polygon cut-out and strengths map to the document', async () => {
  const dir = await tmp();
  await writeFile(join(dir, 'room.png'), await encodePng(pattern(32, 32, 9)));
  const mug = pattern(8, 8, 4);
  const state = {
    collage: {
      collagePrompt: 'a room with a blue mug',
      numInferenceSteps: 50,
      guidanceScale: 7,
      seed: 44,
      layers: [
        { id: 0, key: 'k0', originalImgUrl: 'room.png', textPrompt: 'room', cacStrength: 0.2, cannyStrength: 0.1, negativeStrength: 0.3, noiseStrength: 0.9,
          transform: { position: { x: -0.05, y: 0.1 }, scale: 1 / 32, rotation: 0 }, polygon: [] },
        { id: 1, key: 'k1', originalImgUrl: await pngDataUri(mug), textPrompt: 'blue mug',
          cacStrength: 0.8, negativeStrength: 0.85, cannyStrength: 0.5, noiseStrength: 0.3,
          transform: { position: { x: 0.5, y: 0.25 }, scale: 0.0078125, rotation: 15 },
          polygon: [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 0, y: 1 }] },
      ],
    },
  };
  const imported = await importDemo([state], join(dir, 'demo.json'));
  assert.deepEqual(imported.document, {
    version: 1,
    width: 512,
    height: 512,
    prompt: 'a room with a blue mug',
    generation: { scheduler: 'euler-a', steps: 50, guidance: 7, seed: 44 },
    layers: [
      { id: 'room', image: 'layers/room.png', text: 'room', x: -25, y: 51, scale: 16, rotation: 0, noise: 0.9, attention: { positive: 0.2, negative: 0.3 }, canny: 0.1 },
      { id: 'blue-mug', image: 'layers/blue-mug.png', text: 'blue mug', x: 256, y: 128, scale: 4, rotation: -15, noise: 0.3, attention: { positive: 0.8, negative: 0.85 }, canny: 0.5 },
    ],
  });
  const cut = imported.images.get('blue-mug')!;
  assert.equal(cut.data[3], 255, 'inside the triangle');
  assert.equal(cut.data[(7 * 8 + 7) * 4 + 3], 0, 'outside the triangle');
  assert.equal(cut.data[(0 * 8 + 7) * 4 + 3], Math.round(255 * 6 / 16), 'edge pixel is partly covered');
  assert.deepEqual([...cut.data.slice(0, 3)], [0, 0, 4], 'colour kept');
});

test('official demo state: a remote image URL is an error that says to download it', async () => {
  const state = { collagePrompt: 'a room', layers: [{ originalImgUrl: 'https://storage.googleapis.com/x/room', textPrompt: 'room', transform: { position: { x: 0, y: 0 }, scale: 0.001, rotation: 0 } }] };
  await assert.rejects(importDemo(state, '/tmp/demo.json'), (e: unknown) => e instanceof InputError && /remote URL/.test(e.message) && /download the image/.test(e.message) && /layers\[0\]\.originalImgUrl/.test(e.message));
});

test('import writes <name>.collage.json and layers/*.png next to the input, and the result loads and plans', async () => {
  const dir = await tmp();
  const psd = writePsdUint8Array({
    width: 64,
    height: 64,
    children: [
      { name: 'grass', left: 0, top: 32, imageData: { width: 64, height: 32, data: new Uint8ClampedArray(pattern(64, 32, 1).data) } },
      { name: 'a cat', left: 8, top: 8, imageData: { width: 16, height: 16, data: new Uint8ClampedArray(pattern(16, 16, 2).data) } },
    ],
  });
  await writeFile(join(dir, 'scene.psd'), psd);
  const written = await importAndWrite(join(dir, 'scene.psd'));
  assert.deepEqual(written.map((p) => p.slice(dir.length + 1)), ['scene.collage.json', 'layers/grass.png', 'layers/a-cat.png']);
  const doc = JSON.parse(await readFile(join(dir, 'scene.collage.json'), 'utf8')) as { prompt: string };
  assert.equal(doc.prompt, '{grass}, {a-cat}');
  const { document, images } = await loadCollage(join(dir, 'scene.collage.json'));
  const plan = planCollage(document, images);
  assert.equal(plan.sceneText, 'grass, a cat');
  const at = (x: number, y: number) => [...plan.composite.data.slice((y * 64 + x) * 4, (y * 64 + x) * 4 + 3)];
  assert.deepEqual(at(9, 9), [10, 10, 2], 'cat pixel (1,1) at canvas (9,9)');
  assert.deepEqual(at(40, 40), [400 & 255, 80, 1], 'grass pixel (40,8) at canvas (40,40)');
});

test('official demo state: the server’s snake_case form imports the same way', async () => {
  const dir = await tmp();
  await writeFile(join(dir, 'sky.png'), await encodePng(pattern(16, 16, 3)));
  const state = {
    prompt: 'blue sky',
    total_steps: 30,
    guidance_scale: 7.5,
    seed: 0,
    collage_layers: [{ original_img_url: 'sky.png', text_prompt: 'blue sky', noiseStrength: 0.8, transform: { position: { x: 0, y: 0 }, scale: 0.0625, rotation: 0 }, polygon: [] }],
  };
  const imported = await importDemo(state, join(dir, 'state.json'));
  assert.equal(imported.document.prompt, 'blue sky');
  assert.deepEqual(imported.document.generation, { scheduler: 'euler-a', steps: 30, guidance: 7.5, seed: 0 });
  assert.deepEqual(imported.document.layers, [{ id: 'blue-sky', image: 'layers/blue-sky.png', text: 'blue sky', x: 0, y: 0, scale: 32, rotation: 0, noise: 0.8 }]);
  assert.deepEqual(imported.images.get('blue-sky'), pattern(16, 16, 3));
});
