// The library's public API: `import { ... } from 'collage-diffusion'`.
export * from './errors.ts';
export type { ProgressEvent, ProgressCallback, ProgressStage } from './progress.ts';
export type { Tensor, DType } from './tensor.ts';
