// The whole embedded-model recipe (issue 11): tokenizer → VAE → measurement (PSNR, scaling_factor) → latent cache →
// text encoder + UNet → float16 diffusers folder + model card. Every stage resumes from its files in the run folder
// (`env-paths('collage-diffusion').cache/train/<run>`, or COLLAGE_CACHE_DIR/train/<run>), so `npm run train:embedded`
// can be killed and started again at any point.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import envPaths from 'env-paths';
import { InputError } from '../errors.ts';
import type { ProgressCallback } from '../progress.ts';
import { ClipTokenizer } from '../text/index.ts';
import { trainBpe, trainingCaptions, type BpeVocabulary } from './bpe-train.ts';
import { exportDiffusersFolder } from './export.ts';
import { latentCache } from './latent-cache.ts';
import { modelCard, type RecipeSummary } from './model-card.ts';
import { train, type TrainOptions } from './trainer.ts';
import { createUNetTask, EMBEDDED_SCHEDULER_CONFIG, EMBEDDED_TEXT_CONFIG, EMBEDDED_UNET_CONFIG, textConfigFor } from './unet-recipe.ts';
import { createVaeTask, EMBEDDED_VAE_CONFIG, reconstructHeldOut, vaeConfigOf, type VaeRecipeOptions } from './vae-recipe.ts';
import { writePngFile } from '../eval/index.ts';

/** Everything that sizes a run: the full recipe and the CI smoke test differ only here. */
export interface RecipeScale {
  readonly tokenizerScenes: number;
  readonly vae: Required<Omit<VaeRecipeOptions, 'seed' | 'from'>> & { readonly train: TrainOptions };
  /** Held-out renders for PSNR and latent std (multiple of 4). */
  readonly measureImages: number;
  readonly latentScenes: number;
  readonly text: Readonly<Record<string, unknown>>;
  readonly unet: { readonly config: Readonly<Record<string, unknown>>; readonly batchSize: number; readonly train: TrainOptions };
}

/**
 * The shipped recipe. Sizes by measured step time (bench/train.bench.ts; 2 shared cores, fwd + bwd, batch 16): UNet
 * [32,64,64] 0.4–0.7 s, [64,128,128] 1.0–1.25 s, [128,256,256] 3.6 s per step; VAE [16,32,64,64] on 64² crops
 * 0.5–1 s, [32,64,64,64] about 4× that. The middle UNet and the small VAE fit 150 min on 2 cores.
 */
export const FULL_SCALE: RecipeScale = Object.freeze({
  tokenizerScenes: 20_000,
  // edgeWeight 0.5: +0.5 dB held-out PSNR after 400 steps (22.94 vs 22.47 dB on 16 renders, same seed), at no measurable cost
  vae: { config: EMBEDDED_VAE_CONFIG, batchSize: 16, sizePx: 128, cropPx: 64, klWeight: 1e-5, edgeWeight: 0.5, objectWeight: 0, objectCrops: 0, train: { steps: 4000, lr: 2e-3, warmupSteps: 100 } },
  measureImages: 100,
  latentScenes: 12_800,
  text: EMBEDDED_TEXT_CONFIG,
  unet: { config: EMBEDDED_UNET_CONFIG, batchSize: 16, train: { steps: 10_000, lr: 5e-4, warmupSteps: 500 } },
});

/** A CI-sized run of the same code: tiny models, 32² images, a few steps. */
export const SMOKE_SCALE: RecipeScale = Object.freeze({
  tokenizerScenes: 50,
  vae: { config: { ...EMBEDDED_VAE_CONFIG, block_out_channels: [8, 8, 8, 8], norm_num_groups: 4, sample_size: 32 }, batchSize: 2, sizePx: 32, cropPx: 16, klWeight: 1e-5, edgeWeight: 0, objectWeight: 0, objectCrops: 0.5, train: { steps: 3, warmupSteps: 1, logEverySteps: 1 } },
  measureImages: 4,
  latentScenes: 8,
  text: { ...EMBEDDED_TEXT_CONFIG, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, projection_dim: 32 },
  unet: { config: { ...EMBEDDED_UNET_CONFIG, sample_size: 4, block_out_channels: [32, 32, 32], attention_head_dim: 2, cross_attention_dim: 32 }, batchSize: 2, train: { steps: 3, warmupSteps: 1, logEverySteps: 1 } },
});

export interface EmbeddedRecipeOptions {
  /** Run name (folder under the cache's train/). @default 'embedded' */ readonly run?: string;
  /** Where the diffusers folder goes. @default 'models/embedded' */ readonly outDir?: string;
  /** @default FULL_SCALE */ readonly scale?: RecipeScale;
  /** Seeds every initialisation and every step. @default 1234 */ readonly seed?: number;
  /** The benchmark's results.json whose claims the model card quotes, when present. @default BENCHMARK_RESULTS */
  readonly benchmarkResults?: string;
  readonly onProgress?: ProgressCallback;
  readonly signal?: AbortSignal;
}

/** Where the committed benchmark of the embedded model lives (collage-diffusion eval … -o docs/benchmark). */
export const BENCHMARK_RESULTS = 'docs/benchmark/results.json';

/** The run folder: COLLAGE_CACHE_DIR/train/<run> or the user cache's collage-diffusion/train/<run>. */
export function trainRunDir(run: string): string {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(run)) throw new InputError({ what: `run name ${JSON.stringify(run)} is not a plain folder name`, where: 'run', fix: 'use letters, digits, dot, dash or underscore' });
  const base = process.env['COLLAGE_CACHE_DIR'] ?? envPaths('collage-diffusion', { suffix: '' }).cache;
  return join(base, 'train', run);
}

/** The tokenizer of the run, learned once and kept in the run folder. */
function runTokenizer(runDir: string, scenes: number): BpeVocabulary {
  const path = join(runDir, 'tokenizer.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as BpeVocabulary;
  const vocabulary = trainBpe(trainingCaptions(scenes));
  writeFileSync(path, JSON.stringify(vocabulary));
  return vocabulary;
}

/**
 * Runs (or resumes) the recipe to the end and exports the folder.
 * @returns the summary written into the model card
 */
export async function trainEmbedded(options: EmbeddedRecipeOptions = {}): Promise<RecipeSummary> {
  const scale = options.scale ?? FULL_SCALE;
  const seed = options.seed ?? 1234;
  const runDir = trainRunDir(options.run ?? 'embedded');
  const outDir = options.outDir ?? 'models/embedded';
  mkdirSync(runDir, { recursive: true });
  const common = { seed, ...(options.onProgress ? { onProgress: options.onProgress } : {}), ...(options.signal ? { signal: options.signal } : {}) };

  const vocabulary = runTokenizer(runDir, scale.tokenizerScenes);
  const tokenizer = ClipTokenizer.fromVocabAndMerges(vocabulary.vocab, vocabulary.merges);

  const { train: vaeTrain, ...vaeOptions } = scale.vae;
  const vaeTask = await createVaeTask({ ...vaeOptions, seed });
  const vae = await train(vaeTask, runDir, { ...vaeTrain, ...common });
  await vaeTask.close?.();
  const vaeConfig = vaeConfigOf(scale.vae.config);
  const measurement = await measureOnce(join(runDir, 'vae', 'measurement.json'), async () => {
    const m = await reconstructHeldOut(vae.ema, vaeConfig, scale.measureImages, scale.vae.sizePx);
    await writePngFile(join(runDir, 'vae', 'held-out-reconstructions.png'), m.grid);
    return { psnrDb: m.psnrDb, latentStd: m.latentStd, scalingFactor: 1 / m.latentStd };
  });
  // Object pixels apart (measured once, in its own file, so runs measured before it existed keep their numbers).
  const objects = await measureOnce(join(runDir, 'vae', 'object-measurement.json'), async () => ({ objectPsnrDb: (await reconstructHeldOut(vae.ema, vaeConfig, scale.measureImages, scale.vae.sizePx)).objectPsnrDb }));
  options.onProgress?.({ stage: 'eval', step: 1, total: 1, detail: `VAE held-out PSNR ${measurement.psnrDb.toFixed(2)} dB (object pixels ${objects.objectPsnrDb.toFixed(2)} dB), scaling_factor ${measurement.scalingFactor.toFixed(4)}` });

  const cache = await latentCache(join(runDir, 'latents.safetensors'), vae.ema, vaeConfig, measurement.scalingFactor, scale.latentScenes, scale.vae.sizePx, options.onProgress);
  const textConfig = textConfigFor(scale.text, tokenizer);
  const unetTask = await createUNetTask({ textConfig, unetConfig: scale.unet.config, tokenizer, cache, vae: { weights: vae.ema, config: vaeConfig, scalingFactor: measurement.scalingFactor }, batchSize: scale.unet.batchSize, seed });
  const unet = await train(unetTask, runDir, { ...scale.unet.train, ...common });
  await unetTask.close?.();

  const isText = (n: string): boolean => n.startsWith('text_model.');
  const vaeExportConfig = { ...scale.vae.config, scaling_factor: Number(measurement.scalingFactor.toFixed(5)) };
  const bytes = await exportDiffusersFolder(outDir, {
    unet: { config: scale.unet.config, weights: unet.ema.subset((n) => !isText(n)) },
    vae: { config: vaeExportConfig, weights: vae.ema },
    textEncoder: { config: textConfig, weights: unet.ema.subset(isText) },
    tokenizer: vocabulary,
    scheduler: EMBEDDED_SCHEDULER_CONFIG,
  });
  const summary: RecipeSummary = {
    seed, runDir, outDir, folderBytes: bytes, tokenizerSize: tokenizer.vocabSize,
    vae: { config: vaeExportConfig, params: vae.ema.size, steps: vae.steps, minutes: vae.elapsedMs / 60_000, logPath: join(vae.dir, 'log.jsonl'), edgeWeight: scale.vae.edgeWeight, klWeight: scale.vae.klWeight, ...measurement, ...objects },
    unet: { config: scale.unet.config, text: textConfig, params: unet.ema.size, steps: unet.steps, minutes: unet.elapsedMs / 60_000, logPath: join(unet.dir, 'log.jsonl') },
    latentScenes: scale.latentScenes,
    trainOptions: { vae: vaeTrain, unet: scale.unet.train },
  };
  writeFileSync(join(outDir, 'README.md'), modelCard(summary, options.benchmarkResults ?? BENCHMARK_RESULTS));
  return summary;
}

/** Runs `measure` once per run folder, keeping its result as JSON. */
async function measureOnce<T>(path: string, measure: () => Promise<T>): Promise<T> {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as T;
  const value = await measure();
  writeFileSync(path, JSON.stringify(value, null, 2));
  return value;
}
