// `collage-diffusion invert doc.collage.json [-o dir]`: per-layer textual inversion (method.md §5) on its own; writes
// one kohya-form embedding file per layer (`<layer id>.safetensors`, loadable by A1111 / ComfyUI and by a layer's
// `"embedding"` key), with a progress bar; Ctrl-C cancels.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { loadCollage } from '../collage/index.ts';
import { InputError } from '../errors.ts';
import { writeEmbeddingFile } from '../io/index.ts';
import { invertLayers, type InversionOptions } from '../method/index.ts';
import { parseIntegerOption } from './integer-option.ts';
import { EMBEDDED_MODEL, loadModel } from './model-option.ts';
import { createProgressDisplay } from './progress-display.ts';

interface InvertFlags {
  out?: string;
  model?: string;
  steps?: string;
  seed?: string;
  cache: boolean;
  json?: boolean;
}

export function registerInvertCommand(program: Command): void {
  program
    .command('invert')
    .description('learn one token embedding per layer (textual inversion) and write <layer id>.safetensors files')
    .argument('<document>', 'the *.collage.json file')
    .option('-o, --out <dir>', "output folder (default: the document's folder)")
    .option('--model <model>', `"${EMBEDDED_MODEL}", a diffusers Stable Diffusion folder, or an SD 1.x .safetensors file (default: the document's, else ${EMBEDDED_MODEL})`)
    .option('--steps <n>', "optimisation steps per layer (default: the model's, from its model_index.json \"_collage_diffusion\", else 250)")
    .option('--seed <n>', 'seed of every random draw (default 0)')
    .option('--no-cache', 'learn again even when the embedding cache has this layer')
    .option('--json', 'machine-readable progress and results on stdout (one JSON object per line)')
    .action(async (document: string, flags: InvertFlags) => runInvert(document, flags));
}

async function runInvert(document: string, flags: InvertFlags): Promise<void> {
  const collage = await loadCollage(document);
  const options: InversionOptions = {
    ...(flags.steps === undefined ? {} : { steps: parseIntegerOption(flags.steps, '--steps', 1, 100_000) }),
    ...(flags.seed === undefined ? {} : { seed: parseIntegerOption(flags.seed, '--seed', 0, Number.MAX_SAFE_INTEGER) }),
    cache: flags.cache,
  };
  const outDir = flags.out ?? dirname(document);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new InputError({ what: `cannot create the folder (${e instanceof Error ? e.message : String(e)})`, where: outDir, fix: 'choose a writable output folder' });
  }
  const model = await loadModel(flags.model ?? collage.document.generation.model ?? EMBEDDED_MODEL);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const display = createProgressDisplay(flags.json === true);
  try {
    const embeddings = await invertLayers(collage, model, { ...options, onProgress: display.onProgress, signal: controller.signal });
    display.stop();
    for (const [id, vector] of embeddings) {
      const path = join(outDir, `${id}.safetensors`);
      await writeEmbeddingFile(path, vector, model.textWidth);
      console.log(flags.json ? JSON.stringify({ type: 'embedding', layer: id, path }) : `wrote ${path}`);
    }
    if (embeddings.size === 0) console.log(flags.json ? JSON.stringify({ type: 'embedding', none: true }) : 'no layer has invert: true or an embedding file');
  } finally {
    display.stop();
    process.off('SIGINT', onSigint);
    await model.release();
  }
}
