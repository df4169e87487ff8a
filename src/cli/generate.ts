// `collage-diffusion generate doc.collage.json|result.png -o out.png`: the main job. Reads the collage (or the one
// recorded in an earlier result), checks everything before the model loads, generates (or re-generates chosen
// layers), and writes each image atomically with its settings and document in PNG text chunks.
import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Command } from 'commander';
import { loadCollage, loadCollageImages, parseCollageDocument, type RgbaImage } from '../collage/index.ts';
import { InputError } from '../errors.ts';
import { readImage, readPngText, writePng } from '../io/index.ts';
import { COLLAGE_KEY, generate, regenerate, resolveGenerateOptions, resultPngText, type CollageInput, type GenerateOptions } from '../method/index.ts';
import { parseSchedulerId, SCHEDULER_IDS } from '../sampling/index.ts';
import { parseIntegerOption } from './integer-option.ts';
import { EMBEDDED_MODEL, loadModel } from './model-option.ts';
import { createProgressDisplay } from './progress-display.ts';

interface GenerateFlags {
  out?: string;
  outDir?: string;
  model?: string;
  steps?: string;
  seed?: string;
  scheduler?: string;
  guidance?: string;
  n: string;
  inversion: boolean;
  inversionSteps?: string;
  attentionMask: boolean;
  uniformNoise?: boolean;
  txt2img?: boolean;
  regenerate?: string[];
  previous?: string;
  json?: boolean;
}

export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('generate an image from a collage (or re-run / edit an earlier result PNG)')
    .argument('<input>', 'a *.collage.json, or a result PNG written by this command')
    .option('-o, --out <file>', 'output PNG (with --n > 1: <file>-1.png, <file>-2.png, …)')
    .option('--out-dir <dir>', 'output folder for numbered variants (<name>-<seed>.png)')
    .option('--model <model>', `"${EMBEDDED_MODEL}", a diffusers Stable Diffusion folder, or an SD 1.x .safetensors file (default: the document's, else ${EMBEDDED_MODEL})`)
    .option('--steps <n>', 'denoising steps (default: the document, else 30)')
    .option('--seed <n>', 'seed of the first variant; variant k uses seed + k (default: the document, else random)')
    .option('--scheduler <id>', `sampler: ${SCHEDULER_IDS.join(', ')} (default: the document, else euler-a)`)
    .option('--guidance <g>', 'classifier-free guidance scale (default: the document, else 7.5)')
    .option('--n <k>', 'number of variants', '1')
    .option('--no-inversion', 'skip per-layer textual inversion')
    .option('--inversion-steps <n>', "optimisation steps per inverted layer (default: the model's, from its model_index.json \"_collage_diffusion\", else 250; results are cached per layer)")
    .option('--no-attention-mask', 'skip cross-attention masking')
    .option('--uniform-noise', 'one noise strength everywhere (SDEdit baseline)')
    .option('--txt2img', 'ignore the composite: text-to-image of the scene text (baseline)')
    .option('--regenerate <layer...>', 're-imagine only these layers of a result (input: a result PNG, or --previous)')
    .option('--previous <png>', 'the earlier output to re-generate layers of (default: the input when it is a PNG)')
    .option('--json', 'machine-readable progress and results on stdout (one JSON object per line)')
    .addHelpText('after', '\nExit codes: 0 done, 1 bad input/model/collage, 2 usage, 3 internal error, 130 cancelled (Ctrl-C; nothing is written).')
    .action(async (input: string, flags: GenerateFlags) => runGenerate(input, flags));
}

async function runGenerate(input: string, flags: GenerateFlags): Promise<void> {
  // 1. Everything that can be checked without the model: flags, the collage and its images, the output place.
  const collage = await readCollageInput(input);
  const options = optionsFromFlags(flags);
  resolveGenerateOptions(options, collage.document.generation);
  const outputs = outputPaths(input, flags, options.n ?? 1);
  const previous = flags.regenerate ? await previousImage(input, flags) : undefined;

  // 2. The model, then the work, cancellable with Ctrl-C.
  const modelSpec = flags.model ?? collage.document.generation.model ?? EMBEDDED_MODEL;
  const model = await loadModel(modelSpec);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const display = createProgressDisplay(flags.json === true);
  try {
    const run = { ...options, onProgress: display.onProgress, signal: controller.signal };
    const result = previous && flags.regenerate ? await regenerate(previous, collage, flags.regenerate, model, run) : await generate(collage, model, run);
    display.stop();
    // 3. Write each variant atomically, with its settings and the document that re-runs it.
    for (let k = 0; k < result.images.length; k++) {
      const path = outputs(result.seeds[k]!, k);
      await writePng(path, result.images[k]!, await resultPngText(collage, result, k, modelSpec));
      if (flags.json) console.log(JSON.stringify({ type: 'result', path, seed: result.seeds[k] }));
      else console.log(`wrote ${path} (seed ${result.seeds[k]})`);
    }
  } finally {
    display.stop();
    process.removeListener('SIGINT', onSigint);
    await model.release();
  }
}

/** A collage document, or the one a result PNG carries in its `collage` text chunk. */
export async function readCollageInput(input: string): Promise<CollageInput> {
  if (extname(input).toLowerCase() !== '.png') return loadCollage(input);
  const text = await readPngText(input);
  const recorded = text[COLLAGE_KEY];
  if (recorded === undefined) {
    throw new InputError({ what: 'this PNG carries no collage document', where: input, fix: 'pass a *.collage.json, or a PNG written by `collage-diffusion generate`' });
  }
  let json: unknown;
  try {
    json = JSON.parse(recorded);
  } catch (e) {
    throw new InputError({ what: `the recorded collage is not valid JSON (${e instanceof Error ? e.message : String(e)})`, where: `${input} → ${COLLAGE_KEY}`, fix: 'regenerate the result from its *.collage.json' });
  }
  const document = parseCollageDocument(json, input);
  return { document, images: await loadCollageImages(document) };
}

function number(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new InputError({ what: `expected a number, received "${text}"`, where: flag, fix: `pass e.g. ${flag} 7.5` });
  return value;
}

function optionsFromFlags(flags: GenerateFlags): GenerateOptions {
  const guidance = number(flags.guidance, '--guidance');
  return {
    ...(flags.steps === undefined ? {} : { steps: parseIntegerOption(flags.steps, '--steps', 1, 1000) }),
    ...(flags.seed === undefined ? {} : { seed: parseIntegerOption(flags.seed, '--seed', 0, Number.MAX_SAFE_INTEGER) }),
    ...(flags.scheduler === undefined ? {} : { scheduler: parseSchedulerId(flags.scheduler) }),
    ...(guidance === undefined ? {} : { guidance }),
    n: parseIntegerOption(flags.n, '--n', 1, 64),
    inversion: flags.inversion,
    ...(flags.inversionSteps === undefined ? {} : { inversionOptions: { steps: parseIntegerOption(flags.inversionSteps, '--inversion-steps', 1, 100000) } }),
    attentionMask: flags.attentionMask,
    uniformNoise: flags.uniformNoise === true,
    txt2img: flags.txt2img === true,
  };
}

/** Where variant k (with its seed) goes; the folder is made now, so a bad path fails before any work. */
function outputPaths(input: string, flags: GenerateFlags, n: number): (seed: number, k: number) => string {
  if (flags.out === undefined && flags.outDir === undefined) {
    throw new InputError({ what: 'no output given', where: 'generate', fix: 'pass -o out.png or --out-dir <dir>' });
  }
  if (flags.out !== undefined && extname(flags.out).toLowerCase() !== '.png') {
    throw new InputError({ what: `the output "${flags.out}" is not a .png file`, where: '-o', fix: 'name the output *.png' });
  }
  const folder = flags.outDir ?? dirname(flags.out!);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (e) {
    throw new InputError({ what: `cannot create the output folder (${e instanceof Error ? e.message : String(e)})`, where: folder, fix: 'choose a writable folder' });
  }
  if (flags.outDir !== undefined) {
    const name = basename(input).replace(/(\.collage)?\.json$|\.png$/i, '');
    return (seed) => join(flags.outDir!, `${name}-${seed}.png`);
  }
  const out = flags.out!;
  return (_seed, k) => (n === 1 ? out : out.replace(/\.png$/i, `-${k + 1}.png`));
}

async function previousImage(input: string, flags: GenerateFlags): Promise<RgbaImage> {
  const path = flags.previous ?? (extname(input).toLowerCase() === '.png' ? input : undefined);
  if (path === undefined) {
    throw new InputError({ what: '--regenerate needs the earlier output', where: '--regenerate', fix: 'pass the result PNG as the input, or --previous result.png' });
  }
  return readImage(path);
}
