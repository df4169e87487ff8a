// Regenerates the outputs of examples/ with the embedded model (each example's `output.png`, through the same
// `generate` command the README shows) and the README's grid docs/examples.png: collage | output | ground truth.
// Usage: node --import tsx scripts/examples.ts [--no-inversion]
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { main } from '../src/cli/main.ts';

const root = new URL('..', import.meta.url).pathname;
const extra = process.argv.slice(2);
const names = readdirSync(join(root, 'examples')).filter((n) => existsSync(join(root, 'examples', n, `${n}.collage.json`))).sort();
const CELL = 128;
const GAP = 4;
const rows: { name: string; cells: string[] }[] = [];
for (const name of names) {
  const dir = join(root, 'examples', name);
  const t0 = performance.now();
  const code = await main(['generate', join(dir, `${name}.collage.json`), '-o', join(dir, 'output.png'), ...extra]);
  if (code !== 0) process.exit(code);
  console.log(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // Columns stay in place; a missing file (the hand-made example has no ground truth) leaves its cell empty.
  rows.push({ name, cells: ['collage.png', 'output.png', 'ground-truth.png'].map((f) => join(dir, f)) });
}

const columns = 3;
const header = 24;
const width = columns * CELL + (columns + 1) * GAP;
const height = header + rows.length * (CELL + GAP) + GAP;
const label = (text: string, x: number) => `<text x="${x + CELL / 2}" y="17" font-family="sans-serif" font-size="13" fill="#ddd" text-anchor="middle">${text}</text>`;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${header}">${['collage (input)', 'collage-diffusion', 'ground truth'].map((t, i) => label(t, GAP + i * (CELL + GAP))).join('')}</svg>`;
const composites: OverlayOptions[] = [{ input: Buffer.from(svg), left: 0, top: 0 }];
rows.forEach((row, r) => row.cells.forEach((file, c) => existsSync(file) && composites.push({ input: file, left: GAP + c * (CELL + GAP), top: header + r * (CELL + GAP) })));
await sharp({ create: { width, height, channels: 3, background: '#222' } }).composite(composites).png().toFile(join(root, 'docs', 'examples.png'));
console.log(`wrote docs/examples.png (${rows.length} examples)`);
