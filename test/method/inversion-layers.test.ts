// invertLayers on a collage with the fixture tiny models: which layers learn, load or skip, the embedding cache
// (a second run does no optimisation; a changed pixel or text does), progress and cancellation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCollageImages, parseCollageDocument } from '../../src/collage/index.ts';
import { CancelledError } from '../../src/errors.ts';
import { encodePng, writeEmbeddingFile } from '../../src/io/index.ts';
import { invertLayers } from '../../src/method/inversion.ts';
import { resolveInversionOptions, type InversionOptions } from '../../src/method/inversion-options.ts';
import { StableDiffusion } from '../../src/models/index.ts';
import type { ProgressEvent } from '../../src/progress.ts';
import { referenceSkip } from '../support/reference.ts';
import { makeTinyModelFolder } from '../support/tiny-model.ts';

const skip = referenceSkip();
let model: StableDiffusion;
const dir = mkdtempSync(join(tmpdir(), 'inversion-layers-'));

before(async () => {
  if (skip) return;
  model = await StableDiffusion.load(makeTinyModelFolder(), { cacheDir: mkdtempSync(join(tmpdir(), 'collage-cache-')) });
});
after(async () => model?.release());

async function square(rgb: readonly number[], size: number): Promise<string> {
  const data = new Uint8Array(size * size * 4);
  for (let p = 0; p < size * size; p++) data.set([...rgb, 255], p * 4);
  return `data:image/png;base64,${Buffer.from(await encodePng({ width: size, height: size, data })).toString('base64')}`;
}

/** 64×64: a sea layer (inverted), a boat (inverted), a sun (invert false) — with the given boat colour and text. */
async function collage(boat: readonly number[] = [255, 0, 0], boatText = 'red boat', extra: Record<string, unknown> = {}) {
  const doc = parseCollageDocument(
    {
      version: 1, width: 64, height: 64, prompt: 'a {sun} over {sea} and {boat}',
      layers: [
        { id: 'sea', image: await square([0, 0, 255], 64), text: 'blue sea', x: 0, y: 32 },
        { id: 'boat', image: await square(boat, 24), text: boatText, x: 20, y: 24, ...extra },
        { id: 'sun', image: await square([255, 255, 0], 16), text: 'sun', x: 44, y: 4, invert: false },
      ],
    },
    join(dir, 'three.collage.json'),
  );
  return { document: doc, images: await loadCollageImages(doc) };
}

/** Few, small steps: these tests are about which work happens, not its quality. */
function quick(cacheDir: string, events: ProgressEvent[] = []): InversionOptions {
  return { steps: 2, batch: 1, targetVariants: 1, cacheDir, onProgress: (e) => events.push(e) };
}

const optimised = (events: readonly ProgressEvent[]) => [...new Set(events.filter((e) => e.detail?.includes('loss')).map((e) => e.detail!.split(':')[0]))];

test('layers with invert: true get a learned vector of the text width, invert: false gets none, with progress per layer', { skip }, async () => {
  const events: ProgressEvent[] = [];
  const result = await invertLayers(await collage(), model, quick(mkdtempSync(join(dir, 'c-')), events));
  assert.deepEqual([...result.keys()], ['sea', 'boat']);
  for (const v of result.values()) assert.equal(v.length, model.textWidth);
  assert.deepEqual(optimised(events), ['sea', 'boat']);
  const boat = events.filter((e) => e.detail?.startsWith('boat'));
  assert.deepEqual(boat.map((e) => [e.stage, e.step, e.total]), [['invert', 1, 2], ['invert', 2, 2]]);
  assert.match(boat[1]!.detail!, /^boat: loss \d+\.\d{4}, ETA \d+ s$/);
});

test('a second run with the same layers does no optimisation and returns the same bytes', { skip }, async () => {
  const cacheDir = mkdtempSync(join(dir, 'c-'));
  const first = await invertLayers(await collage(), model, quick(cacheDir));
  const events: ProgressEvent[] = [];
  const second = await invertLayers(await collage(), model, quick(cacheDir, events));
  assert.deepEqual(optimised(events), []);
  assert.deepEqual(events.map((e) => e.detail), ['sea: cached', 'boat: cached']);
  for (const id of ['sea', 'boat'] as const) assert.deepEqual(second.get(id as never), first.get(id as never));
});

test('a changed pixel or a changed text invalidates only the layers whose target changed; cache: false forces', { skip }, async () => {
  const cacheDir = mkdtempSync(join(dir, 'c-'));
  await invertLayers(await collage(), model, quick(cacheDir));
  const pixel: ProgressEvent[] = [];
  await invertLayers(await collage([254, 0, 0]), model, quick(cacheDir, pixel));
  assert.deepEqual(optimised(pixel), ['boat'], 'the sea target (layers 0..0) did not change');
  const text: ProgressEvent[] = [];
  await invertLayers(await collage([255, 0, 0], 'red sailing boat'), model, quick(cacheDir, text));
  assert.deepEqual(optimised(text), ['boat']);
  const forced: ProgressEvent[] = [];
  await invertLayers(await collage(), model, { ...quick(cacheDir, forced), cache: false });
  assert.deepEqual(optimised(forced), ['sea', 'boat']);
});

test('a layer naming an embedding file gets its vector without learning; a wrong width names both widths', { skip }, async () => {
  const vector = Float32Array.from({ length: model.textWidth }, (_, i) => i / 100);
  await writeEmbeddingFile(join(dir, 'boat.safetensors'), vector, model.textWidth);
  const events: ProgressEvent[] = [];
  const result = await invertLayers(await collage(undefined, undefined, { embedding: 'boat.safetensors' }), model, quick(mkdtempSync(join(dir, 'c-')), events));
  assert.deepEqual(result.get('boat' as never), vector);
  assert.deepEqual(optimised(events), ['sea']);
  await writeEmbeddingFile(join(dir, 'wide.safetensors'), new Float32Array(768), 768);
  await assert.rejects(invertLayers(await collage(undefined, undefined, { embedding: 'wide.safetensors' }), model, quick(dir)), /width 768 does not match the text encoder's width 32/);
});

test('an aborted signal cancels before any optimisation step', { skip }, async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(invertLayers(await collage(), model, { ...quick(mkdtempSync(join(dir, 'c-'))), signal: controller.signal }), CancelledError);
});

test('a model folder\'s "_collage_diffusion".inversion.steps is the default step count; explicit steps win; without the key 250', { skip }, async () => {
  const folder = makeTinyModelFolder();
  const indexPath = join(folder, 'model_index.json');
  writeFileSync(indexPath, JSON.stringify({ ...(JSON.parse(readFileSync(indexPath, 'utf8')) as object), _collage_diffusion: { inversion: { steps: 3 } } }));
  const withKey = await StableDiffusion.load(folder, { cacheDir: mkdtempSync(join(tmpdir(), 'collage-cache-')) });
  try {
    assert.deepEqual(withKey.collageDefaults, { inversion: { steps: 3 } });
    const { steps: _explicit, ...noSteps } = quick(mkdtempSync(join(dir, 'c-')));
    const fromModel: ProgressEvent[] = [];
    await invertLayers(await collage(), withKey, { ...noSteps, onProgress: (e) => fromModel.push(e) });
    assert.deepEqual([...new Set(fromModel.map((e) => e.total))], [3], 'the model default (3 steps) is used');
    const explicit: ProgressEvent[] = [];
    await invertLayers(await collage(), withKey, { ...noSteps, steps: 2, cache: false, onProgress: (e) => explicit.push(e) });
    assert.deepEqual([...new Set(explicit.map((e) => e.total))], [2], 'the caller\'s 2 steps win');
  } finally {
    await withKey.release();
  }
  assert.deepEqual(model.collageDefaults, {});
  assert.equal(resolveInversionOptions({}, model.collageDefaults.inversion).steps, 250);
});
