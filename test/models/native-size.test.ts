import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EMBEDDED_MODEL_DIR } from '../../src/cli/model-option.ts';
import { InputError } from '../../src/errors.ts';
import { nativeImageSizePx, readNativeImageSizePx, SD1_UNET_CONFIG, SD1_VAE_CONFIG } from '../../src/models/index.ts';
import { makeConfigOnlyFolder, SD15_SIZES, SD21_SIZES } from '../support/config-folder.ts';
import { referenceSkip } from '../support/reference.ts';
import { makeTinyModelFolder } from '../support/tiny-model.ts';

test('the native size is unet sample_size × 2^(VAE blocks − 1): SD 1.x configs give 64 × 8 = 512', () => {
  assert.equal(nativeImageSizePx(SD1_UNET_CONFIG, SD1_VAE_CONFIG), 512);
  const { sample_size: _none, ...noSampleSize } = SD1_UNET_CONFIG;
  assert.equal(nativeImageSizePx(noSampleSize, SD1_VAE_CONFIG), undefined, 'no sample_size: unknown');
});

test('the embedded model is native at 128 px (sample_size 16, 4-block VAE)', async () => {
  assert.equal(await readNativeImageSizePx(EMBEDDED_MODEL_DIR), 128);
});

test('SD-1-style and SD-2-style folders read 512 and 768 px from their configs alone (no weights needed)', async () => {
  const folders = [makeConfigOnlyFolder(SD15_SIZES), makeConfigOnlyFolder(SD21_SIZES), makeConfigOnlyFolder({ vaeBlockOutChannels: [128, 256, 512, 512] })];
  try {
    assert.deepEqual(await Promise.all(folders.map(readNativeImageSizePx)), [512, 768, undefined]);
  } finally {
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  }
});

test('a single-file checkpoint is read as SD 1.x (512 px); a missing path is unknown', async () => {
  const dir = makeConfigOnlyFolder(SD15_SIZES);
  try {
    const file = join(dir, 'model.safetensors');
    writeFileSync(file, 'not read');
    assert.equal(await readNativeImageSizePx(file), 512);
    assert.equal(await readNativeImageSizePx(join(dir, 'nothing-here')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a mistyped sample_size is an InputError naming the config file and the key', async () => {
  const dir = makeConfigOnlyFolder(SD15_SIZES);
  try {
    writeFileSync(join(dir, 'unet', 'config.json'), JSON.stringify({ _class_name: 'UNet2DConditionModel', sample_size: '64' }));
    await assert.rejects(readNativeImageSizePx(dir), (e: unknown) => e instanceof InputError && /unet\/config\.json → sample_size/.test(e.message) && /an integer/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the reference tiny models are native at 16 px (sample_size 8, 2-block VAE)', { skip: referenceSkip() }, async () => {
  const dir = makeTinyModelFolder();
  try {
    assert.equal(await readNativeImageSizePx(dir), 16);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
