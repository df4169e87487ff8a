// `npm run bench collage`: compose of a 512×512, 6-layer collage (issue 7 target: under 1 s), in memory and
// end to end (read + decode the layer PNGs, plan, render and encode every check image).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeCollage, loadCollage } from '../src/collage/index.ts';
import { encodePng, type RgbaImage } from '../src/io/index.ts';
import { timeMs, type Bench } from './table.ts';

/** A w×h RGBA layer with a soft round alpha edge (a typical cut-out). */
function layerImage(w: number, h: number, seed: number): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = (x - w / 2) / (w / 2);
      const dy = (y - h / 2) / (h / 2);
      const a = Math.max(0, Math.min(1, (1 - Math.hypot(dx, dy)) * 8));
      data.set([(x * 3 + seed * 40) & 255, (y * 2 + seed * 70) & 255, (x + y + seed * 20) & 255, Math.round(a * 255)], (y * w + x) * 4);
    }
  }
  return { width: w, height: h, data };
}

export const bench: Bench = {
  name: 'collage compose 512×512, 6 layers',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'collage-bench-'));
    const specs = [
      { id: 'ground', w: 512, h: 256, x: 0, y: 256, scale: 1, rotation: 0, text: 'green meadow' },
      { id: 'house', w: 300, h: 260, x: 120, y: 120, scale: 0.9, rotation: 0, text: 'a wooden house' },
      { id: 'tree', w: 400, h: 600, x: 20, y: 80, scale: 0.5, rotation: 5, text: 'a tall oak tree' },
      { id: 'car', w: 256, h: 128, x: 280, y: 360, scale: 0.8, rotation: -12, text: 'a red vintage car' },
      { id: 'dog', w: 128, h: 128, x: 220, y: 400, scale: 0.7, rotation: 20, text: 'a corgi' },
      { id: 'sun', w: 64, h: 64, x: 420, y: 20, scale: 1.5, rotation: 0, text: 'the sun' },
    ];
    for (const [i, s] of specs.entries()) await writeFile(join(dir, `${s.id}.png`), await encodePng(layerImage(s.w, s.h, i)));
    const doc = {
      width: 512,
      height: 512,
      prompt: specs.map((s) => `{${s.id}}`).join(', '),
      layers: specs.map((s) => ({ id: s.id, image: `${s.id}.png`, text: s.text, x: s.x, y: s.y, scale: s.scale, rotation: s.rotation })),
    };
    const docPath = join(dir, 'bench.collage.json');
    await writeFile(docPath, JSON.stringify(doc));
    const { document, images } = await loadCollage(docPath);
    const inMemory = await timeMs(() => composeCollage(document, images), 3, 1);
    const endToEnd = await timeMs(async () => {
      const loaded = await loadCollage(docPath);
      const result = composeCollage(loaded.document, loaded.images);
      await Promise.all(result.outputs.map((o) => encodePng(o.image)));
    }, 3, 1);
    return [
      { name: 'compose 512², 6 layers: plan + check images (in memory)', value: inMemory, unit: 'ms', ratio: inMemory / 1000, note: 'vs the 1 s target (target < 1)' },
      { name: 'compose 512², 6 layers: read PNGs + plan + encode PNGs', value: endToEnd, unit: 'ms', ratio: endToEnd / 1000, note: 'vs the 1 s target (target < 1)' },
    ];
  },
};
