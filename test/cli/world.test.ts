import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { main } from '../../src/cli/main.ts';

test('world sample writes each scene with its caption, collage document and layer PNGs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-world-'));
  t.mock.method(console, 'log', () => undefined);
  try {
    assert.equal(await main(['world', 'sample', '--n', '2', '--seed', '5', '--size', '64', '-o', dir]), 0);
    assert.deepEqual((await readdir(dir)).sort(), ['captions.txt', 'scene-0005', 'scene-0006', 'scenes.png']);
    const files = (await readdir(join(dir, 'scene-0005'))).sort();
    assert.deepEqual(files, [
      'background.png',
      'caption.txt',
      'layers',
      'naive-collage.png',
      'scene.collage.json',
      'scene.png',
    ]);
    const doc = JSON.parse(await readFile(join(dir, 'scene-0005', 'scene.collage.json'), 'utf8')) as {
      width: number;
      layers: { image: string }[];
    };
    assert.equal(doc.width, 64);
    const layer = await sharp(join(dir, 'scene-0005', doc.layers[0]!.image)).metadata();
    assert.equal(layer.channels, 4);
    const caption = await readFile(join(dir, 'scene-0005', 'caption.txt'), 'utf8');
    assert.match(
      await readFile(join(dir, 'captions.txt'), 'utf8'),
      new RegExp(`^scene-0005\t${caption.trim()}$`, 'm'),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('world sample refuses a size that is not a multiple of 8, saying which option', async (t) => {
  const err = t.mock.method(console, 'error', () => undefined);
  assert.equal(await main(['world', 'sample', '--size', '100', '-o', join(tmpdir(), 'never-written')]), 1);
  assert.match(
    String(err.mock.calls[0]?.arguments[0]),
    /--size: size 100 is not a multiple of 8 \(fix: use 96 or 104\)/,
  );
});
