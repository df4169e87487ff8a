import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { readImage, readPngText } from '../../src/io/image.ts';
import { referenceSkip } from '../support/reference.ts';
import { writeSolidPng } from '../support/squares.ts';
import { makeTinyModelFolder } from '../support/tiny-model.ts';

const skip = referenceSkip();

async function writeCollage(dir: string): Promise<string> {
  const square = (name: string, rgb: [number, number, number], size: number) => writeSolidPng(join(dir, name), rgb, size);
  await square('sea.png', [0, 0, 255], 64);
  await square('boat.png', [255, 0, 0], 24);
  await square('sun.png', [255, 255, 0], 16);
  const doc = {
    version: 1,
    width: 64,
    height: 64,
    prompt: 'a {sun} over {sea} and {boat}',
    layers: [
      { id: 'sea', image: 'sea.png', text: 'blue sea', x: 0, y: 32 },
      { id: 'boat', image: 'boat.png', text: 'red boat', x: 20, y: 24, noise: 0.6 },
      { id: 'sun', image: 'sun.png', text: 'sun', x: 44, y: 4, noise: 0.9 },
    ],
  };
  const path = join(dir, 'scene.collage.json');
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

test('generate writes a PNG whose recorded document re-runs to the same bytes; --n 3 writes three different images', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'collage-cli-'));
  process.env['COLLAGE_CACHE_DIR'] = join(dir, 'cache');
  const doc = await writeCollage(dir);
  const model = makeTinyModelFolder();
  const out = join(dir, 'out.png');
  const common = ['--model', model, '--steps', '3', '--no-inversion'];
  assert.equal(await main(['generate', doc, '-o', out, '--seed', '5', ...common]), 0);
  const text = await readPngText(out);
  assert.match(text['parameters']!, /Steps: 3, Sampler: Euler a, CFG scale: 7.5, Seed: 5, Size: 64x64/);
  const recorded = JSON.parse(text['collage']!) as { generation: { seed: number }; layers: { image: string }[] };
  assert.equal(recorded.generation.seed, 5);
  assert.match(recorded.layers[0]!.image, /^data:image\/png;base64,/);
  const image = await readImage(out);
  assert.equal(image.width, 64);

  const again = join(dir, 'again.png');
  assert.equal(await main(['generate', out, '-o', again, '--no-inversion']), 0);
  assert.deepEqual(readFileSync(again), readFileSync(out), 'the result re-runs to the same bytes');

  const variants = join(dir, 'variants');
  assert.equal(await main(['generate', doc, '--out-dir', variants, '--n', '3', '--seed', '9', ...common]), 0);
  const files = readdirSync(variants).sort();
  assert.deepEqual(files, ['scene-10.png', 'scene-11.png', 'scene-9.png']);
  const pixels = await Promise.all(files.map((f) => readImage(join(variants, f))));
  assert.notDeepEqual(pixels[0]!.data, pixels[1]!.data);
  assert.notDeepEqual(pixels[1]!.data, pixels[2]!.data);
});

test('a bad document fails before the model loads, with exit code 1 and no output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'collage-cli-'));
  const doc = join(dir, 'bad.collage.json');
  writeFileSync(doc, JSON.stringify({ width: 500, prompt: '', layers: [] }));
  const out = join(dir, 'out.png');
  assert.equal(await main(['generate', doc, '-o', out, '--model', join(dir, 'no-such-model')]), 1);
  assert.equal(existsSync(out), false);
});

test('an unknown scheduler is a usage error listing the valid ids', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'collage-cli-'));
  const doc = join(dir, 'x.collage.json');
  writeFileSync(doc, JSON.stringify({ prompt: 'a cat', layers: [] }));
  const errors: string[] = [];
  const original = console.error;
  console.error = (m: string) => errors.push(m);
  try {
    assert.equal(await main(['generate', doc, '-o', join(dir, 'o.png'), '--scheduler', 'foo']), 1);
  } finally {
    console.error = original;
  }
  assert.match(errors.join('\n'), /unknown scheduler "foo".*use one of ddim, euler, euler-a, dpmpp-2m, dpmpp-2m-karras, pndm/);
});

test('Ctrl-C during denoising exits with 130 and writes no file', { skip }, async () => {
  const { spawn } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'collage-cli-'));
  const doc = await writeCollage(dir);
  const out = join(dir, 'out.png');
  const bin = new URL('../../bin/collage-diffusion.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, 'generate', doc, '-o', out, '--model', makeTinyModelFolder(), '--steps', '500', '--no-inversion', '--json'], {
    env: { ...process.env, COLLAGE_CACHE_DIR: join(dir, 'cache') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('"stage":"denoise"') && !child.killed) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 130);
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.png') && f.startsWith('out')), []);
});
