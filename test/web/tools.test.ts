// The editor's design-tool gestures in Chromium: wand and lasso cut-outs write the layer's alpha (checked in the
// document the server receives), the rotation stalk snaps with Shift, an edge stretches, and the keyboard hides,
// deletes and undoes.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { decodeImage } from '../../src/io/index.ts';
import { buildEditor, chromiumSkip, startEditor, type EditorHarness } from './support.ts';

const skip = chromiumSkip();
let webRoot = '';
let harness: EditorHarness | undefined;

before(async () => {
  if (skip !== false) return;
  webRoot = await buildEditor();
  harness = await startEditor(webRoot, 20);
});

after(async () => {
  await harness?.close();
  if (webRoot !== '') await rm(webRoot, { recursive: true, force: true });
});

/** A 200×200 photo-like layer: a blue disc (radius 70) on a plain white background. */
async function discOnWhite(): Promise<{ name: string; mimeType: string; buffer: Buffer }> {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><rect width="200" height="200" fill="#ffffff"/><circle cx="100" cy="100" r="70" fill="#2050d0"/></svg>';
  return { name: 'disc.png', mimeType: 'image/png', buffer: await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).png().toBuffer() };
}

/** Canvas px → page px. */
async function canvasMapper(page: Page): Promise<(x: number, y: number) => { x: number; y: number }> {
  const box = (await page.getByTestId('stage-canvas').boundingBox())!;
  const zoom = box.width / 512;
  return (x, y) => ({ x: box.x + x * zoom, y: box.y + y * zoom });
}

test('the wand clears a plain background, the lasso keeps its inside; the server receives that alpha', { skip, timeout: 60_000 }, async () => {
  const { browser, url, store } = harness!;
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(url);
  await page.getByTestId('file-input').setInputFiles([await discOnWhite()]);
  await page.getByTestId('layer-row-disc').waitFor();
  const at = await canvasMapper(page);
  // The layer sits at (108, 108), 200 px wide: image px (u, v) is canvas (108 + u, 108 + v).
  await page.keyboard.press('w');
  const corner = at(112, 112);
  await page.mouse.click(corner.x, corner.y);
  await page.keyboard.press('l');
  for (const [x, y] of [[108, 108], [208, 108], [208, 308], [108, 308]] as const) {
    const p = at(x, y);
    await page.mouse.click(p.x, p.y);
  }
  await page.keyboard.press('Enter');
  await page.keyboard.press('v');
  await page.getByTestId('prompt').fill('{disc}');
  await page.getByTestId('prompt').press('Tab');
  const before = store.list().length;
  await page.getByTestId('generate').click();
  await page.getByTestId('result-count').filter({ hasText: String(before + 1) }).waitFor();
  const sent = (await store.readDocument(store.list()[0]!.jobId)) as { layers: { image: string }[] };
  const image = await decodeImage(new Uint8Array(Buffer.from(sent.layers[0]!.image.split(',')[1]!, 'base64')), 'the sent layer');
  const alpha = (u: number, v: number): number => image.data[(v * image.width + u) * 4 + 3]!;
  assert.deepEqual([image.width, image.height], [200, 200]);
  assert.equal(alpha(4, 4), 0, 'white corner cleared by the wand');
  assert.equal(alpha(40, 100), 255, 'the disc inside the lasso kept');
  assert.equal(alpha(160, 100), 0, 'the disc outside the lasso cleared');
  assert.equal(alpha(60, 180), 0, 'white left of the cut, outside the disc: cleared by the wand');
  await page.close();
});

test('the stalk rotates (Shift snaps to 15°), an edge stretches, and H, +/0 zoom, Delete and Ctrl+Z work on the canvas', { skip, timeout: 60_000 }, async () => {
  const { browser, url } = harness!;
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(url);
  await page.getByTestId('file-input').setInputFiles([await discOnWhite()]);
  await page.getByTestId('layer-row-disc').waitFor();
  const at = await canvasMapper(page);
  const zoom = ((await page.getByTestId('stage-canvas').boundingBox())!.width) / 512;
  // Centre (208, 208); the stalk's knob is 28 screen px above the top edge (y = 108).
  const knob = at(208, 108 - 28 / zoom);
  const right = at(380, 212);
  await page.mouse.move(knob.x, knob.y);
  await page.mouse.down();
  await page.keyboard.down('Shift');
  await page.mouse.move(right.x, right.y, { steps: 6 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  assert.equal(Number(await page.getByTestId('layer-rotation').inputValue()), 90);
  await page.getByTestId('layer-rotation').fill('0');
  await page.getByTestId('layer-rotation').press('Tab');
  // Drag the east edge handle (308, 208) out by 100 canvas px: only the width grows; the west edge stays at 108.
  const east = at(308, 208);
  const further = at(408, 208);
  await page.mouse.move(east.x, east.y);
  await page.mouse.down();
  await page.mouse.move(further.x, further.y, { steps: 6 });
  await page.mouse.up();
  assert.match(await page.locator('[data-out="size"]').innerText(), /^300 × 200 px \(stretched\)$/);
  assert.equal(Number(await page.getByTestId('layer-x').inputValue()), 108);
  await page.mouse.click(at(5, 5).x, at(5, 5).y); // empty canvas: deselects, focus off the fields
  await page.getByTestId('layer-row-disc').click();
  await page.keyboard.press('h');
  assert.match((await page.getByTestId('layer-row-disc').getAttribute('class')) ?? '', /hidden/);
  await page.keyboard.press('Control+z');
  assert.doesNotMatch((await page.getByTestId('layer-row-disc').getAttribute('class')) ?? '', /hidden/);
  const fitWidth = (await page.getByTestId('stage-canvas').boundingBox())!.width;
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  assert.equal(Math.round((await page.getByTestId('stage-canvas').boundingBox())!.width), Math.round(fitWidth * 1.5625));
  await page.keyboard.press('0');
  assert.equal((await page.getByTestId('stage-canvas').boundingBox())!.width, fitWidth);
  await page.keyboard.press('Delete');
  assert.equal(await page.getByTestId('layer-row-disc').count(), 0);
  await page.keyboard.press('Control+z');
  assert.equal(await page.getByTestId('layer-row-disc').count(), 1);
  await page.close();
});

test('Save downloads the collage with its images inline, and Open brings it back as it was', { skip, timeout: 60_000 }, async () => {
  const { browser, url } = harness!;
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  await page.goto(url);
  await page.getByTestId('file-input').setInputFiles([await discOnWhite()]);
  await page.getByTestId('layer-text').fill('a blue plate');
  await page.getByTestId('layer-text').press('Tab');
  await page.getByTestId('layer-rotation').fill('30');
  await page.getByTestId('layer-rotation').press('Tab');
  await page.getByTestId('slider-noise').fill('0.8');
  await page.getByTestId('prompt').fill('{disc} on a table');
  await page.getByTestId('prompt').press('Tab');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#save').click()]);
  assert.equal(download.suggestedFilename(), 'collage.collage.json');
  const saved = JSON.parse(await readFile((await download.path())!, 'utf8')) as { prompt: string; layers: { id: string; text: string; rotation: number; noise?: number; image: string }[] };
  assert.equal(saved.prompt, '{disc} on a table');
  assert.deepEqual(saved.layers.map((l) => [l.id, l.text, l.rotation, l.noise]), [['disc', 'a blue plate', 30, 0.8]]);
  assert.match(saved.layers[0]!.image, /^data:image\/png;base64,/);

  await page.reload();
  await page.getByTestId('file-input').setInputFiles({ name: 'collage.collage.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(saved)) });
  await page.getByTestId('layer-row-disc').waitFor();
  assert.equal(await page.getByTestId('layer-text').inputValue(), 'a blue plate');
  assert.equal(Number(await page.getByTestId('layer-rotation').inputValue()), 30);
  assert.equal(await page.locator('[data-out="noiseOut"]').innerText(), '0.80');
  assert.equal(await page.getByTestId('prompt').inputValue(), '{disc} on a table');
  await page.close();
});
