// `collage-diffusion compose doc.collage.json -o dir/`: writes the composite, one mask PNG per layer, a
// colour-coded mask overview and the noise map, and prints the token-span table, so a collage is checked
// before a long generation.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { composeCollage, loadCollage } from '../collage/index.ts';
import { InputError } from '../errors.ts';
import { ClipTokenizer } from '../text/index.ts';
import { writePng } from '../io/index.ts';

export function registerComposeCommand(program: Command): void {
  program
    .command('compose')
    .description('check a collage: write its composite, visible masks, mask overview and noise map; print token spans')
    .argument('<document>', 'the *.collage.json file')
    .requiredOption('-o, --out <dir>', 'output folder (created if missing)')
    .option('--tokenizer <dir>', "a diffusers tokenizer/ folder (vocab.json + merges.txt): print token spans and check the 75-token limit")
    .action(async (document: string, options: { out: string; tokenizer?: string }) => {
      const { document: doc, images } = await loadCollage(document);
      const tokenizer = options.tokenizer === undefined ? undefined : await ClipTokenizer.fromFolder(options.tokenizer);
      const result = composeCollage(doc, images, tokenizer === undefined ? {} : { tokenizer });
      try {
        await mkdir(options.out, { recursive: true });
      } catch (e) {
        throw new InputError({ what: `cannot create the folder (${e instanceof Error ? e.message : String(e)})`, where: options.out, fix: 'choose a writable output folder' });
      }
      for (const { fileName, image } of result.outputs) {
        const path = join(options.out, fileName);
        await writePng(path, image);
        console.log(`wrote ${path}`);
      }
      const { plan } = result;
      console.log(`\nscene text: ${plan.sceneText}`);
      console.log(`noise: s_max ${plan.noiseStrength.sMax.toFixed(2)}; layers (bottom first):`);
      for (const l of plan.layers) {
        console.log(`  ${l.id.padEnd(16)} noise ${l.noise.toFixed(2)}  w+ ${l.attention.positive.toFixed(2)}  w- ${l.attention.negative.toFixed(2)}  size ${l.sizeRatio.toFixed(2)}`);
      }
      console.log(`\n${plan.tokens === undefined ? 'layer spans (characters; pass --tokenizer <dir> for token spans)' : 'layer token spans'}:`);
      console.log(result.spanTable);
    });
}
