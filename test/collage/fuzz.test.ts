import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../../src/errors.ts';
import { loadCollage, planCollage } from '../../src/collage/index.ts';
import { encodePng, type RgbaImage } from '../../src/io/index.ts';
import { fakeTokenizer } from './fake-tokenizer.ts';

/** mulberry32: a small seeded generator, so every failing case replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function image(w: number, h: number): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 255;
  return { width: w, height: h, data };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

test('500 randomly corrupted documents and images end in a clean error or a valid plan', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'collage-fuzz-'));
  const png = Buffer.from(await encodePng(image(12, 9)));
  await writeFile(join(dir, 'layer.png'), png);
  const uri = (bytes: Uint8Array) => `data:image/png;base64,${Buffer.from(bytes).toString('base64')}`;
  const base = (): Json => ({
    version: 1,
    width: 64,
    height: 64,
    background: '#202020',
    prompt: 'a {sun} over {sea} and a boat',
    negativePrompt: 'blurry',
    layers: [
      { id: 'sea', image: 'layer.png', text: 'a calm sea', x: 0, y: 30, scale: 6, rotation: 0 },
      { id: 'sun', image: uri(png), text: 'a sun', x: 40, y: 4, scale: 1.5, rotation: 30, noise: 0.6, attention: { positive: 0.3, negative: 0.8 } },
      { id: 'boat', image: 'layer.png', text: 'a boat', x: -4, y: 40, invert: false },
    ],
    generation: { seed: 1, steps: 20, guidance: 7.5, scheduler: 'euler-a' },
  });
  const random = rng(20261125);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const brokenPng = () => {
    const bytes = new Uint8Array(png);
    const mode = random();
    if (mode < 0.4) return bytes.slice(0, Math.floor(random() * bytes.length));
    for (let k = 0; k < 1 + random() * 20; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    return bytes;
  };
  const values = (): Json => pick<() => Json>([
    () => null, () => -1, () => 0, () => 1e9, () => -1e-9, () => 0.5, () => 65, () => 4096, () => 4104, () => 8, () => 1e308,
    () => '', () => 'x', () => '{nope}', () => '{sun}', () => '#zzzzzz', () => '#00ff00', () => 'https://example.com/a.png',
    () => 'data:image/png;base64,AAAA', () => uri(brokenPng()), () => 'missing.png', () => '../../etc/passwd', () => 'x'.repeat(2000),
    () => [], () => ({}), () => true, () => false, () => ({ image: 'layer.png' }), () => ({ positive: 11 }), () => 'a calm sea a sun a boat',
  ])();

  /** Every (container, key) in the document. */
  const slots = (node: Json, out: [Json[] | { [k: string]: Json }, string | number][] = []) => {
    if (Array.isArray(node)) node.forEach((v, i) => { out.push([node, i]); slots(v, out); });
    else if (node !== null && typeof node === 'object') for (const k of Object.keys(node)) { out.push([node, k]); slots(node[k]!, out); }
    return out;
  };
  const corrupt = (doc: Json): string => {
    const edits = 1 + Math.floor(random() * 3);
    for (let e = 0; e < edits; e++) {
      const all = slots(doc);
      const [container, key] = pick(all);
      const op = random();
      if (op < 0.5) (container as Record<string | number, Json>)[key] = values();
      else if (op < 0.7 && !Array.isArray(container)) delete container[key as string];
      else if (op < 0.8 && !Array.isArray(container)) container[pick(['opacity', 'Width', 'colour', 'z'])] = values();
      else if (op < 0.9 && Array.isArray(container)) container.push(structuredClone(container[0] ?? null));
      else return JSON.stringify(doc).slice(0, Math.floor(random() * 200));
    }
    return JSON.stringify(doc);
  };

  let plans = 0;
  let errors = 0;
  for (let i = 0; i < 500; i++) {
    const text = corrupt(base());
    const path = join(dir, `case-${i}.collage.json`);
    await writeFile(path, text);
    try {
      const { document, images } = await loadCollage(path);
      const plan = planCollage(document, images, { tokenizer: fakeTokenizer });
      assert.equal(plan.composite.data.length, plan.width * plan.height * 4, `case ${i}: composite size`);
      for (const layer of plan.layers) {
        assert.ok(layer.visibleMask.every((v) => v >= 0 && v <= 1 + 1e-6), `case ${i}: mask in [0, 1]`);
      }
      assert.ok(plan.noiseStrength.latent.every((v) => v >= 0 && v <= 1 + 1e-6), `case ${i}: strength in [0, 1]`);
      plans++;
    } catch (e) {
      if (!isUserError(e)) assert.fail(`case ${i} threw a non-user error: ${e instanceof Error ? e.stack : String(e)}\n${text.slice(0, 400)}`);
      assert.ok(e.problems.length > 0 && e.problems.every((p) => p.what.length > 0), `case ${i}: problems say what`);
      errors++;
    }
  }
  assert.equal(plans + errors, 500);
  assert.ok(plans > 20 && errors > 100, `both outcomes exercised: ${plans} plans, ${errors} errors`);
});
