// The canvas follows the model in Chromium (src/web/model-menu.ts): `collage-diffusion serve`'s own model list
// (embedded at 128 px first, an SD-1-style --model folder at 512 px, preview without a size) plus a 128 px preview
// model for the size warning. No generation with a real model: only the list's native sizes matter here.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { EMBEDDED_MODEL_DIR } from '../../src/cli/model-option.ts';
import { serverModels } from '../../src/cli/serve.ts';
import { createPreviewGenerator, type ServerModel } from '../../src/server/index.ts';
import { makeConfigOnlyFolder, SD15_SIZES } from '../support/config-folder.ts';
import { ARTIFACTS, chromiumSkip, editorSuite, layerPngs } from './support.ts';

const skip = chromiumSkip() || (existsSync(EMBEDDED_MODEL_DIR) ? false : `no embedded model at ${EMBEDDED_MODEL_DIR} (npm run train:embedded)`);
const sd15Folder = makeConfigOnlyFolder(SD15_SIZES);
const draft: ServerModel = { id: 'draft', description: 'composite, says it is native at 128 px', generate: createPreviewGenerator({ stepMs: 20, steps: 2 }), nativeSizePx: async () => 128 };
const models = [...serverModels([`sd15=${sd15Folder}`]), draft];
const suite = editorSuite(models, skip, () => rmSync(sd15Folder, { recursive: true, force: true }));

/** Waits until the inspector's canvas fields read `width` × `height`. */
async function canvasIs(page: Page, width: number, height = width): Promise<void> {
  const fields = [page.getByTestId('canvas-width'), page.getByTestId('canvas-height')];
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [w, h] = await Promise.all(fields.map((f) => f.inputValue()));
    if (w === String(width) && h === String(height)) return;
    if (Date.now() > deadline) throw new Error(`the canvas reads ${w}×${h}, expected ${width}×${height}`);
    await page.waitForTimeout(50);
  }
}

async function placement(page: Page, id: string): Promise<{ x: number; y: number; scale: number }> {
  await page.getByTestId(`layer-row-${id}`).click();
  const read = async (field: string) => Number(await page.getByTestId(`layer-${field}`).inputValue());
  return { x: await read('x'), y: await read('y'), scale: await read('scale') };
}

test('a fresh editor takes the embedded model\'s 128×128; on an empty canvas the size follows the model menu', { skip, timeout: 120_000 }, async () => {
  const page = await suite().browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(suite().url);
  await page.locator('#model option[value="draft"]').waitFor({ state: 'attached' });
  assert.equal(await page.locator('#model').inputValue(), 'embedded');
  await canvasIs(page, 128);
  assert.equal(await page.locator('#undo').isDisabled(), true, 'the starting size is no undo step');
  assert.equal(await page.getByTestId('resize-canvas').isHidden(), true);

  await page.locator('#model').selectOption('sd15');
  await canvasIs(page, 512);
  await page.locator('#model').selectOption('preview'); // no native size: the canvas stays
  await canvasIs(page, 512);
  await page.locator('#model').selectOption('embedded');
  await canvasIs(page, 128);
  assert.deepEqual(errors, []);
  await page.close();
});

test('with layers, switching the model offers the resize; it scales the layers with the canvas and undoes in one step', { skip, timeout: 120_000 }, async () => {
  const page = await suite().browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(suite().url);
  await canvasIs(page, 128);
  await page.getByTestId('file-input').setInputFiles(await layerPngs());
  await page.getByTestId('layer-row-red-ball').waitFor();
  // Dropped layers are fitted to the small canvas: their longer side 0.55 × 128 ≈ 70 px, all of it on the canvas.
  const small = { crate: await placement(page, 'wooden-crate'), ball: await placement(page, 'red-ball') };
  assert.deepEqual(small.crate, { x: 17, y: 22, scale: 0.271 });
  assert.deepEqual(small.ball, { x: 23, y: 23, scale: 0.352 });

  await page.locator('#model').selectOption('sd15');
  await page.getByTestId('resize-canvas').waitFor({ state: 'visible' });
  await canvasIs(page, 128); // not resized silently
  assert.equal(await page.getByTestId('resize-canvas').innerText(), '⤢ 512×512');
  await page.screenshot({ path: join(ARTIFACTS, '6-resize-offer.png') });
  await page.getByTestId('resize-canvas').click();
  await canvasIs(page, 512);
  assert.equal(await page.getByTestId('resize-canvas').isHidden(), true);
  // 4× the canvas: every placement 4× (the inspector rounds x, y to px and scale to 0.001).
  const big = await placement(page, 'red-ball');
  assert.deepEqual(big, { x: 92, y: 92, scale: 1.408 });
  assert.deepEqual(await placement(page, 'wooden-crate'), { x: 68, y: 88, scale: 1.083 });

  await page.locator('#undo').click();
  await canvasIs(page, 128);
  assert.deepEqual(await placement(page, 'red-ball'), small.ball);
  assert.deepEqual(await placement(page, 'wooden-crate'), small.crate);
  await page.getByTestId('resize-canvas').waitFor({ state: 'visible' });
  await page.locator('#redo').click();
  await canvasIs(page, 512);
  assert.deepEqual(await placement(page, 'red-ball'), big);

  // A 512² canvas with a model native at 128: the job runs (a draft preview here) and the editor shows the warning.
  await page.locator('#model').selectOption('draft');
  assert.equal(await page.getByTestId('resize-canvas').innerText(), '⤢ 128×128');
  const before = suite().store.list().length;
  await page.getByTestId('generate').click();
  const warning = page.locator('.toast.warning');
  await warning.waitFor();
  assert.match(await warning.innerText(), /512×512 px, 4× the draft model's native 128×128 px/);
  await page.screenshot({ path: join(ARTIFACTS, '7-size-warning.png') });
  await page.getByTestId('result-count').filter({ hasText: String(before + 1) }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});
