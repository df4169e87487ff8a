// `collage-diffusion world sample`: Shapes World scenes with captions and ready-made collage documents (world.md).
import { join } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.ts';
import {
  CASE_FILES,
  imageGrid,
  makeCase,
  writeCaseFiles,
  writeTextFile,
  writePngFile,
} from '../eval/index.ts';
import { MAX_SCENE_INDEX } from '../world/index.ts';
import { parseIntegerOption } from './integer-option.ts';

export interface WorldSampleOptions {
  readonly n: string;
  readonly out: string;
  readonly seed: string;
  readonly size: string;
}

/**
 * Writes scenes `seed … seed+n-1` of the training stream, each in `<out>/scene-<index>/` (scene.png, caption.txt,
 * scene.collage.json, background.png, layers/*.png, naive-collage.png), plus `<out>/captions.txt` and
 * `<out>/scenes.png` (all scenes in a grid).
 */
export async function worldSample(options: WorldSampleOptions): Promise<void> {
  const n = parseIntegerOption(options.n, '--n', 1, 10000);
  const seed = parseIntegerOption(options.seed, '--seed', 0, MAX_SCENE_INDEX);
  const size = parseIntegerOption(options.size, '--size', 64, 4096);
  if (size % 8 !== 0)
    throw new InputError({
      what: `size ${size} is not a multiple of 8`,
      where: '--size',
      fix: `use ${size - (size % 8)} or ${size - (size % 8) + 8}`,
    });
  const captions: string[] = [];
  const scenes = [];
  for (let i = 0; i < n; i++) {
    const index = seed + i;
    const name = `scene-${String(index).padStart(4, '0')}`;
    const c = makeCase(index, size, 'train');
    await writeCaseFiles(join(options.out, name), c);
    captions.push(`${name}\t${c.text}`);
    scenes.push(c.groundTruth);
    console.log(`${join(options.out, name, CASE_FILES.document)}  ${c.text}`);
  }
  await writeTextFile(join(options.out, 'captions.txt'), `${captions.join('\n')}\n`);
  const cols = Math.min(4, n);
  const rows = [];
  for (let r = 0; r < scenes.length; r += cols) rows.push(scenes.slice(r, r + cols));
  await writePngFile(join(options.out, 'scenes.png'), imageGrid(rows));
}

export function registerWorldCommand(program: Command): void {
  const world = program
    .command('world')
    .description('the Shapes World: procedural scenes for training and evaluation');
  world
    .command('sample')
    .description('render training-stream scenes with captions and ready-made collage documents')
    .option('--n <count>', 'number of scenes', '8')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--seed <index>', 'first scene index in the training stream', '0')
    .option('--size <px>', 'canvas side in px, a multiple of 8', '128')
    .action(async (opts: WorldSampleOptions) => worldSample(opts));
}
