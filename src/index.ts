// The library's public API: `import { generate, loadCollage, StableDiffusion } from 'collage-diffusion'`.
export * from './errors.ts';
export type { ProgressEvent, ProgressCallback, ProgressStage } from './progress.ts';
export type { Tensor, DType } from './tensor.ts';
export { loadCollage, loadCollageImages, parseCollageDocument, planCollage, documentToJson, importCollageFile } from './collage/index.ts';
export type { CollageDocument, CollageImages, CollagePlan, RgbaImage } from './collage/index.ts';
export { StableDiffusion, type StableDiffusionOptions } from './models/index.ts';
export { generate, regenerate, DEFAULT_GENERATE_OPTIONS, resultPngText, type GenerateOptions, type GenerateResult, type CollageInput } from './method/index.ts';
export { SCHEDULER_IDS, createScheduler, type SchedulerId } from './sampling/index.ts';
export { ClipTokenizer } from './text/index.ts';
export { readImage, writePng, readPngText } from './io/index.ts';
