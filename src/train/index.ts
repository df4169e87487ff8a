/**
 * @file Training on the engine (issue 11): a generic resumable trainer (AdamW, warm-up + cosine, clipping, EMA, logs,
 * checkpoints), Shapes World batches rendered in a worker, seeded PyTorch-default init read off the model builders,
 * a BPE vocabulary learner, and the embedded model's recipe (VAE, then text encoder + UNet) with its export.
 *
 * @example
 * import { trainEmbedded, SMOKE_SCALE } from './train/index.ts';
 * const summary = await trainEmbedded({ run: 'smoke', outDir: '/tmp/embedded', scale: SMOKE_SCALE });
 * console.log(summary.vae.psnrDb, summary.folderBytes);   // e.g. 11.2  1.1e6 (a few steps on tiny sizes)
 */
export { trainEmbedded, trainRunDir, FULL_SCALE, SMOKE_SCALE, type EmbeddedRecipeOptions, type RecipeScale } from './embedded-recipe.ts';
export { train, scheduledLr, stageFiles, DEFAULT_TRAIN_OPTIONS, type TrainTask, type TrainOptions, type TrainResult, type StepOutput, type BatchSource, type LogLine } from './trainer.ts';
export { ParamStore } from './param-store.ts';
export { initWeights, initialValue } from './init-weights.ts';
export { trainBpe, trainingCaptions, mergesText, type BpeVocabulary, type BpeTrainOptions } from './bpe-train.ts';
export { BatchStream, renderBatch, type TrainingBatch, type BatchSpec } from './data.ts';
export { createVaeTask, reconstructHeldOut, psnr, EMBEDDED_VAE_CONFIG, type VaeMeasurement } from './vae-recipe.ts';
export { createUNetTask, sampleGrid, EMBEDDED_UNET_CONFIG, EMBEDDED_TEXT_CONFIG, EMBEDDED_SCHEDULER_CONFIG } from './unet-recipe.ts';
export { exportDiffusersFolder, folderBytes, type ExportedModel } from './export.ts';
export { EMBEDDED_MODEL_DEFAULTS } from './embedded-defaults.ts';
export { modelCard, readLog, type RecipeSummary } from './model-card.ts';
export { saveCheckpoint, loadCheckpoint, type CheckpointState } from './checkpoint.ts';
