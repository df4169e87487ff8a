import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { CollageError } from '../../src/errors.ts';
import { loadCollage, parseCollageDocument, planCollage, layerId } from '../../src/collage/index.ts';
import { fakeTokenizer } from './fake-tokenizer.ts';

const DOC = '/tmp/scene.collage.json';

function base(): Record<string, unknown> {
  return {
    version: 1,
    width: 512,
    height: 512,
    prompt: 'a {car} parked next to {dog} on a beach',
    layers: [
      { id: 'car', image: 'layers/car.png', text: 'a red vintage car', x: 40, y: 220 },
      { id: 'dog', image: 'layers/dog.png', text: 'a corgi', x: 300, y: 260 },
    ],
  };
}

/** Applies an edit to a fresh valid document and returns the problems parse reports. */
function problemsOf(edit: (doc: Record<string, unknown>) => void): { what: string; where?: string; fix?: string }[] {
  const doc = base();
  edit(doc);
  try {
    parseCollageDocument(doc, DOC);
  } catch (e) {
    assert.ok(e instanceof CollageError, `expected a CollageError, got ${String(e)}`);
    return [...e.problems];
  }
  return [];
}
const layer = (doc: Record<string, unknown>, i: number) => (doc['layers'] as Record<string, unknown>[])[i]!;

test('a valid document parses with defaults applied and paths resolved', () => {
  const doc = parseCollageDocument(base(), DOC);
  assert.equal(doc.width, 512);
  assert.deepEqual(doc.background, { kind: 'color', rgb: [150, 150, 150] });
  assert.equal(doc.negativePrompt, '');
  assert.deepEqual(doc.layers[0]!.image, { kind: 'file', path: '/tmp/layers/car.png' });
  assert.equal(doc.layers[1]!.scale, 1);
  assert.equal(doc.layers[1]!.rotation, 0);
  assert.equal(doc.layers[1]!.visible, true);
  assert.equal(doc.layers[1]!.invert, true);
  assert.equal(doc.layers[1]!.noise, undefined);
  assert.deepEqual(doc.layers[1]!.attention, {});
});

test('an empty layer list is allowed', () => {
  assert.deepEqual(problemsOf((d) => { d['layers'] = []; d['prompt'] = 'a beach'; }), []);
});

// Every bad value of collage-format.md's table: [description, edit, where, message pattern, fix pattern].
const BAD: readonly [string, (d: Record<string, unknown>) => void, string, RegExp, RegExp][] = [
  ['width not a multiple of 8', (d) => { d['width'] = 500; }, 'width', /500 is not a multiple of 8/, /multiple of 8/],
  ['width below 64', (d) => { d['width'] = 56; }, 'width', /56 px is below the minimum of 64/, /between 64 and 4096/],
  ['width above 4096', (d) => { d['width'] = 4104; }, 'width', /4104 px is above the maximum of 4096/, /between 64 and 4096/],
  ['height not a multiple of 8', (d) => { d['height'] = 513; }, 'height', /513 is not a multiple of 8/, /multiple of 8/],
  ['height below 64', (d) => { d['height'] = 0; }, 'height', /0 px is below the minimum/, /e\.g\. 512/],
  ['height above 4096', (d) => { d['height'] = 8192; }, 'height', /8192 px is above the maximum/, /e\.g\. 512/],
  ['background not a colour', (d) => { d['background'] = 'grey'; }, 'background', /"grey" is not a #rrggbb colour/, /#rrggbb/],
  ['prompt empty', (d) => { d['prompt'] = '  '; }, 'prompt', /is empty/, /scene text/],
  ['prompt missing a layer text', (d) => { d['prompt'] = 'a {car} on a beach'; }, 'layers[1].text', /"a corgi" of layer "dog" appears nowhere/, /\{dog\}/],
  ['negativePrompt not text', (d) => { d['negativePrompt'] = 3; }, 'negativePrompt', /expected a string, got 3/, /string/],
  ['duplicate id', (d) => { layer(d, 1)['id'] = 'car'; d['prompt'] = 'a red vintage car and a corgi'; }, 'layers[1].id', /"car" is used by layers\[0\] and layers\[1\]/, /its own id/],
  ['empty id', (d) => { layer(d, 0)['id'] = ''; d['prompt'] = 'a red vintage car and {dog}'; }, 'layers[0].id', /layer id is empty/, /unique name/],
  ['id with bad characters', (d) => { layer(d, 0)['id'] = 'red car'; d['prompt'] = 'a red vintage car and {dog}'; }, 'layers[0].id', /"red car" has characters outside/, /letters, digits/],
  ['image missing', (d) => { delete layer(d, 0)['image']; }, 'layers[0].image', /"image" is missing/, /RGBA PNG/],
  ['image a remote URL', (d) => { layer(d, 0)['image'] = 'https://example.com/car.png'; }, 'layers[0].image', /is a URL/, /download/],
  ['image a bad data URI', (d) => { layer(d, 0)['image'] = 'data:text/plain;base64,AAAA'; }, 'layers[0].image', /data URI is not/, /base64/],
  ['x non-finite', (d) => { layer(d, 0)['x'] = Infinity; }, 'layers[0].x', /expected a number/, /finite number/],
  ['y non-finite', (d) => { layer(d, 0)['y'] = Number.NaN; }, 'layers[0].y', /expected a number/, /finite number/],
  ['scale zero', (d) => { layer(d, 0)['scale'] = 0; }, 'layers[0].scale', /scale 0 is not above 0/, /above 0 and at most 64/],
  ['scale negative', (d) => { layer(d, 0)['scale'] = -1; }, 'layers[0].scale', /scale -1 is not above 0/, /above 0/],
  ['scale above 64', (d) => { layer(d, 0)['scale'] = 65; }, 'layers[0].scale', /scale 65 is above 64/, /at most 64/],
  ['rotation non-finite', (d) => { layer(d, 0)['rotation'] = Infinity; }, 'layers[0].rotation', /expected a number/, /degrees/],
  ['noise above 1', (d) => { layer(d, 0)['noise'] = 1.5; }, 'layers[0].noise', /noise 1.5 is outside \[0, 1\]/, /\[0, 1\]/],
  ['noise below 0', (d) => { layer(d, 0)['noise'] = -0.1; }, 'layers[0].noise', /noise -0.1 is outside/, /auto/],
  ['attention negative', (d) => { layer(d, 0)['attention'] = { positive: -1 }; }, 'layers[0].attention.positive', /weight -1 is negative/, /\[0, 10\]/],
  ['attention above 10', (d) => { layer(d, 0)['attention'] = { negative: 11 }; }, 'layers[0].attention.negative', /weight 11 is above 10/, /\[0, 10\]/],
  ['unknown scheduler', (d) => { d['generation'] = { scheduler: 'heun' }; }, 'generation.scheduler', /unknown scheduler "heun"/, /euler-a/],
  ['steps below 1', (d) => { d['generation'] = { steps: 0 }; }, 'generation.steps', /steps 0 is below 1/, /≥ 1/],
  ['unknown key', (d) => { layer(d, 1)['opacity'] = 0.5; }, 'layers[1]', /unknown key "opacity"/, /spelling/],
  ['unsupported version', (d) => { d['version'] = 2; }, 'version', /version 2 is not supported/, /"version": 1/],
];

for (const [name, edit, path, what, fix] of BAD) {
  test(`bad value: ${name} → message with path and fix`, () => {
    const problems = problemsOf(edit);
    const p = problems.find((q) => q.where === `${DOC} → ${path}`);
    assert.ok(p, `no problem at ${path}: ${JSON.stringify(problems)}`);
    assert.match(p.what, what);
    assert.match(p.fix ?? '', fix);
  });
}

test('every problem is reported at once', () => {
  const problems = problemsOf((d) => {
    d['width'] = 500;
    d['colour'] = 'red';
    layer(d, 0)['scale'] = -2;
    layer(d, 1)['noise'] = 3;
  });
  assert.deepEqual(problems.map((p) => p.where).sort(), [`${DOC} → (document)`, `${DOC} → layers[0].scale`, `${DOC} → layers[1].noise`, `${DOC} → width`]);
});

test('layerId brands valid ids and rejects others', () => {
  assert.equal(layerId('car_1'), 'car_1');
  assert.throws(() => layerId('a b'), /not \[A-Za-z0-9_-\]\+/);
});

async function fixtureDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'collage-doc-'));
  const png = await sharp({ create: { width: 16, height: 8, channels: 4, background: { r: 200, g: 10, b: 10, alpha: 1 } } }).png().toBuffer();
  await writeFile(join(dir, 'car.png'), png);
  await writeFile(join(dir, 'broken.png'), Buffer.from('not a png'));
  return dir;
}

test('unreadable, missing and broken images are all listed with their paths', async () => {
  const dir = await fixtureDir();
  const doc = {
    prompt: '{car} {dog} {cat}',
    background: { image: 'nowhere.png' },
    layers: [
      { id: 'car', image: 'car.png', text: 'a car' },
      { id: 'dog', image: 'missing.png', text: 'a dog' },
      { id: 'cat', image: 'broken.png', text: 'a cat', embedding: 'cat.safetensors' },
    ],
  };
  await writeFile(join(dir, 'x.collage.json'), JSON.stringify(doc));
  await assert.rejects(loadCollage(join(dir, 'x.collage.json')), (e: unknown) => {
    assert.ok(e instanceof CollageError);
    const where = e.problems.map((p) => p.where?.split(' → ')[1]).sort();
    assert.deepEqual(where, ['background.image', 'layers[1].image', 'layers[2].embedding', 'layers[2].image']);
    assert.match(e.message, /missing\.png/);
    assert.match(e.message, /broken\.png is not a readable PNG/);
    return true;
  });
});

test('a document that is not JSON is a CollageError naming the file', async () => {
  const dir = await fixtureDir();
  await writeFile(join(dir, 'bad.collage.json'), '{ "prompt": ');
  await assert.rejects(loadCollage(join(dir, 'bad.collage.json')), (e: unknown) => e instanceof CollageError && /not valid JSON/.test(e.message));
});

test('an inline data URI image loads and plans', async () => {
  const png = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 0, g: 255, b: 0, alpha: 1 } } }).png().toBuffer();
  const dir = await fixtureDir();
  const path = join(dir, 'inline.collage.json');
  await writeFile(path, JSON.stringify({ width: 64, height: 64, prompt: 'a green box', layers: [{ id: 'box', image: `data:image/png;base64,${png.toString('base64')}`, text: 'a green box', x: 8, y: 8 }] }));
  const { document, images } = await loadCollage(path);
  const plan = planCollage(document, images, { tokenizer: fakeTokenizer });
  assert.deepEqual([...plan.composite.data.slice((8 * 64 + 8) * 4, (8 * 64 + 8) * 4 + 4)], [0, 255, 0, 255]);
  assert.deepEqual(plan.layers[0]!.tokenIndices, [1, 2, 3]);
});

test('a prompt or negative prompt over 75 tokens fails planning with the words that fall off', async () => {
  const png = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 1 } } }).png().toBuffer();
  const word = (i: number): string => `${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}q`;
  const long = Array.from({ length: 80 }, (_, i) => word(i)).join(' ');
  const image = `data:image/png;base64,${png.toString('base64')}`;
  const doc = parseCollageDocument({ width: 64, height: 64, prompt: `a box ${long}`, layers: [{ id: 'box', image, text: 'a box' }] }, DOC);
  const images = { layers: new Map([[doc.layers[0]!.id, { width: 8, height: 8, data: new Uint8Array(256) }]]) };
  assert.throws(() => planCollage(doc, images, { tokenizer: fakeTokenizer }), new RegExp(`these words fall off: "${word(73)} ${word(74)}`));
  const neg = parseCollageDocument({ width: 64, height: 64, prompt: 'a box', negativePrompt: long, layers: [{ id: 'box', image, text: 'a box' }] }, DOC);
  assert.throws(() => planCollage(neg, images, { tokenizer: fakeTokenizer }), (e: unknown) => e instanceof CollageError && /negativePrompt/.test(e.message) && e.message.includes(`fall off: "${word(75)} `));
});
