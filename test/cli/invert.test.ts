// `collage-diffusion invert`: one kohya-form embedding file per inverted layer, the second run served by the cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { readEmbeddingFile } from '../../src/io/index.ts';
import { referenceSkip } from '../support/reference.ts';
import { writeSolidPng } from '../support/squares.ts';
import { makeTinyModelFolder } from '../support/tiny-model.ts';

const skip = referenceSkip();

async function writeCollage(dir: string): Promise<string> {
  const square = (name: string, rgb: [number, number, number], size: number) => writeSolidPng(join(dir, name), rgb, size);
  await square('sea.png', [0, 0, 255], 64);
  await square('boat.png', [255, 0, 0], 24);
  const doc = {
    version: 1, width: 64, height: 64, prompt: '{boat} on {sea}',
    layers: [
      { id: 'sea', image: 'sea.png', text: 'blue sea', invert: false },
      { id: 'boat', image: 'boat.png', text: 'red boat', x: 20, y: 24 },
    ],
  };
  const path = join(dir, 'scene.collage.json');
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

test('invert writes <layer id>.safetensors for each inverted layer; a second run gives the same file from the cache', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'collage-cli-invert-'));
  process.env['COLLAGE_CACHE_DIR'] = join(dir, 'cache');
  const doc = await writeCollage(dir);
  const args = ['invert', doc, '--model', makeTinyModelFolder(), '--steps', '2', '--seed', '1'];
  assert.equal(await main([...args, '-o', join(dir, 'a')]), 0);
  assert.deepEqual(readdirSync(join(dir, 'a')), ['boat.safetensors']);
  const first = readEmbeddingFile(join(dir, 'a', 'boat.safetensors'), 32);
  assert.equal(first.form, 'emb_params');
  assert.equal(first.vectors, 1);
  assert.equal(readdirSync(join(dir, 'cache', 'embeddings')).length, 1);
  assert.equal(await main([...args, '-o', join(dir, 'b'), '--json']), 0);
  assert.deepEqual(readEmbeddingFile(join(dir, 'b', 'boat.safetensors'), 32).data, first.data);
});

test('invert with a bad --steps fails as a user error (exit 1) before loading a model', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'collage-cli-invert-'));
  const doc = await writeCollage(dir);
  assert.equal(await main(['invert', doc, '--steps', 'many']), 1);
});
