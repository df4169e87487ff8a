// `collage-diffusion import scene.psd|scene.ora|demo.json`: writes scene.collage.json + layers/*.png beside the
// input, then validates the document so the user learns at once what to edit (e.g. layer texts).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { importAndWrite, parseCollageDocument } from '../collage/index.ts';
import { InputError } from '../errors.ts';

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('convert a PSD, OpenRaster (.ora) or official-demo collage (.json) into <name>.collage.json + layers/*.png')
    .argument('<file>', 'the layered file')
    .option('--index <n>', 'which collage of a demo examples list', '0')
    .action(async (file: string, options: { index: string }) => {
      const index = Number(options.index);
      if (!Number.isInteger(index) || index < 0) throw new InputError({ what: `--index ${options.index} is not a whole number ≥ 0`, where: '--index', fix: 'use 0, 1, 2, …' });
      const written = await importAndWrite(file, index);
      for (const path of written) console.log(`wrote ${path}`);
      const docPath = written[0]!;
      parseCollageDocument(JSON.parse(await readFile(docPath, 'utf8')) as unknown, docPath);
      console.log(`\n${docPath} is valid; edit the layer texts and the prompt, then run: collage-diffusion compose ${docPath} -o check/`);
    });
}
