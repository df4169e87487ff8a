// `collage-diffusion train`: the embedded model's recipe (src/train/embedded-recipe.ts), resumable from the run
// folder in the user cache; prints one line per log step (it usually runs under nohup into a log file).
import type { Command } from 'commander';
import { FULL_SCALE, SMOKE_SCALE, trainEmbedded, trainRunDir } from '../train/index.ts';
import { parseIntegerOption } from './integer-option.ts';

export interface TrainCommandOptions {
  readonly run: string;
  readonly out: string;
  readonly seed: string;
  readonly smoke?: boolean;
}

/** Runs or resumes the recipe and prints where everything went. */
export async function trainCommand(options: TrainCommandOptions): Promise<void> {
  const seed = parseIntegerOption(options.seed, '--seed', 0, 2 ** 31 - 1);
  const runDir = trainRunDir(options.run);
  console.log(`run folder ${runDir} (checkpoints, logs, samples); output ${options.out}`);
  const started = Date.now();
  const summary = await trainEmbedded({
    run: options.run,
    outDir: options.out,
    seed,
    scale: options.smoke ? SMOKE_SCALE : FULL_SCALE,
    onProgress: (e) => console.log(`${new Date().toISOString()} ${e.stage} ${e.step}/${e.total} ${e.detail ?? ''}`),
  });
  console.log(`done in ${((Date.now() - started) / 60_000).toFixed(1)} min (this session): VAE PSNR ${summary.vae.psnrDb.toFixed(2)} dB, folder ${(summary.folderBytes / 2 ** 20).toFixed(1)} MiB → ${summary.outDir}`);
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train the embedded Shapes World model from scratch (resumable) and export it as a diffusers folder')
    .option('--run <name>', 'run folder name under the cache (COLLAGE_CACHE_DIR or the user cache)/train/', 'embedded')
    .option('-o, --out <dir>', 'where the diffusers folder is written', 'models/embedded')
    .option('--seed <n>', 'seed of every initialisation and step', '1234')
    .option('--smoke', 'a CI-sized run: tiny models, a few steps')
    .action(async (options: TrainCommandOptions) => trainCommand(options));
}
