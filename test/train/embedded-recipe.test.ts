import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openStableDiffusionFolder } from '../../src/io/diffusers.ts';
import { ClipTokenizer } from '../../src/text/index.ts';
import { SMOKE_SCALE, trainEmbedded, trainRunDir } from '../../src/train/embedded-recipe.ts';

const root = mkdtempSync(join(tmpdir(), 'embedded-recipe-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the CI-sized recipe trains every stage and exports a diffusers folder our loader opens', async () => {
  const saved = process.env['COLLAGE_CACHE_DIR'];
  process.env['COLLAGE_CACHE_DIR'] = join(root, 'cache');
  try {
    const outDir = join(root, 'embedded');
    const summary = await trainEmbedded({ run: 'smoke', outDir, scale: SMOKE_SCALE, seed: 5 });
    assert.equal(summary.runDir, join(root, 'cache', 'train', 'smoke'));
    assert.equal(summary.vae.steps, 3);
    assert.equal(summary.unet.steps, 3);
    assert.ok(summary.vae.scalingFactor > 0 && Number.isFinite(summary.vae.scalingFactor));
    const folder = await openStableDiffusionFolder(outDir);
    assert.equal(folder.unet.config._class_name, 'UNet2DConditionModel');
    const tokenizer = await ClipTokenizer.fromFolder(join(outDir, 'tokenizer'));
    assert.equal(tokenizer.vocabSize, summary.tokenizerSize);
    const card = readFileSync(join(outDir, 'README.md'), 'utf8');
    assert.match(card, /seed 5/);
    assert.match(card, /\| 3 \| /); // the log tables reach step 3
    // a second call resumes: every stage is done, nothing is retrained
    const again = await trainEmbedded({ run: 'smoke', outDir, scale: SMOKE_SCALE, seed: 5 });
    assert.equal(again.unet.steps, 3);
    assert.ok(Math.abs(again.unet.minutes - summary.unet.minutes) < 1e-4, 'no extra training time');
    assert.ok(existsSync(join(summary.runDir, 'latents.safetensors')));
  } finally {
    if (saved === undefined) delete process.env['COLLAGE_CACHE_DIR'];
    else process.env['COLLAGE_CACHE_DIR'] = saved;
  }
});

test('a run name with a path separator is rejected', () => {
  assert.throws(() => trainRunDir('../x'), /not a plain folder name/);
});
