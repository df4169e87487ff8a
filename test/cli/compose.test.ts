import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { main } from '../../src/cli/main.ts';

test('compose writes the composite, a mask per layer, the overview and the noise map', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-compose-'));
  const png = await sharp({ create: { width: 16, height: 16, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } }).png().toBuffer();
  await writeFile(join(dir, 'box.png'), png);
  await writeFile(join(dir, 'a.collage.json'), JSON.stringify({ width: 64, height: 64, prompt: 'a {box} and {box2}', layers: [{ id: 'box', image: 'box.png', text: 'red box', x: 4, y: 4 }, { id: 'box2', image: 'box.png', text: 'red cube', x: 30, y: 30, rotation: 20 }] }));
  const log = t.mock.method(console, 'log', () => undefined);
  const code = await main(['compose', join(dir, 'a.collage.json'), '-o', join(dir, 'out')]);
  assert.equal(code, 0);
  assert.deepEqual((await readdir(join(dir, 'out'))).sort(), ['composite.png', 'mask-box.png', 'mask-box2.png', 'masks.png', 'noise.png']);
  const meta = await sharp(join(dir, 'out', 'composite.png')).metadata();
  assert.deepEqual([meta.width, meta.height], [64, 64]);
  const printed = log.mock.calls.map((c) => String(c.arguments[0])).join('\n');
  assert.match(printed, /box {14}chars 2–9 {2}"red box"/);
});

test('compose of an invalid document exits 1 and prints every problem', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-compose-'));
  await writeFile(join(dir, 'bad.collage.json'), JSON.stringify({ width: 500, prompt: 'x', layers: [{ id: 'a', image: 'a.png', text: 'y', scale: 0 }] }));
  const err = t.mock.method(console, 'error', () => undefined);
  const code = await main(['compose', join(dir, 'bad.collage.json'), '-o', join(dir, 'out')]);
  assert.equal(code, 1);
  const printed = String(err.mock.calls[0]?.arguments[0]);
  assert.match(printed, /3 problems/);
  assert.match(printed, /width: 500 is not a multiple of 8/);
  assert.match(printed, /layers\[0\]\.scale: scale 0 is not above 0/);
  assert.match(printed, /"y" of layer "a" appears nowhere/);
});
