// The plain denoising loop (issue 6 §3): classifier-free guidance with both halves in one batch, any Scheduler,
// progress with optional cheap previews, cancellation between steps, and a per-step hook through which the collage
// method (method/) adds its mechanisms without copying this loop.
import { CancelledError, InputError } from '../errors.ts';
import type { RgbaImage } from '../io/index.ts';
import type { ProgressCallback } from '../progress.ts';
import { float32, type Tensor } from '../tensor.ts';
import type { NoiseSource } from './rng.ts';
import type { Latents, Scheduler } from './scheduler.ts';

/** Where the loop is, for the model call and the hooks. */
export interface StepInfo {
  /** 0-based index into scheduler.timesteps. */
  readonly index: number;
  /** The step's timestep. */
  readonly t: number;
  /** σ of the sample entering this step (variance-exploding units), whatever the scheduler. */
  readonly sigma: number;
}

/**
 * One UNet evaluation: the noise (or v) prediction for a batch.
 * @param sample [N, C, hLat, wLat] (already scaled by scheduler.scaleModelInput)
 * @param context [N, 77, D] text embeddings, row-aligned with sample
 * @param conditionalFrom rows ≥ this index are the conditional half (the collage bias applies there only)
 */
export type NoisePredictor = (
  sample: Latents,
  context: Tensor<'float32'>,
  step: StepInfo,
  conditionalFrom: number,
) => Promise<Latents>;

export interface DenoiseOptions {
  /** Classifier-free guidance scale; ≤ 1 runs the conditional half only. @default 7.5 */
  readonly guidance?: number;
  /** Noise for stochastic schedulers (Euler ancestral, DDIM with eta > 0). */
  readonly noise?: NoiseSource;
  /** Called after every scheduler step; returns the sample the next step starts from (noise control). */
  readonly afterStep?: (sample: Latents, step: StepInfo) => Latents;
  readonly onProgress?: ProgressCallback;
  /** Send a cheap preview (latents → RGB by a fixed linear map) with each progress event. @default false */
  readonly preview?: boolean;
  /** The latent → RGB map for previews, [C][3]. @default SD 1.x's */
  readonly previewMatrix?: readonly (readonly number[])[];
  readonly signal?: AbortSignal;
}

/** A rough latent → RGB map for SD 1.x/2.x latents (community-measured least squares); previews only. */
export const SD_PREVIEW_MATRIX: readonly (readonly number[])[] = [
  [0.298, 0.207, 0.208],
  [0.187, 0.286, 0.173],
  [-0.158, 0.189, 0.264],
  [-0.184, -0.271, -0.473],
];

/** Checks a guidance scale. @throws InputError when it is not a finite number in [0, 100] */
export function validateGuidance(guidance: number): void {
  if (!Number.isFinite(guidance) || guidance < 0 || guidance > 100) {
    throw new InputError({
      what: `guidance must be a finite number in [0, 100], got ${guidance}`,
      where: 'guidance',
      fix: 'use e.g. 7.5 (1 turns guidance off)',
    });
  }
}

/** Stacks tensors along the first axis. @param parts [n_i, ...rest] each @returns [Σn_i, ...rest] */
export function concatBatch(parts: readonly Tensor<'float32'>[]): Tensor<'float32'> {
  const first = parts[0]!;
  const total = parts.reduce((n, p) => n + p.data.length, 0);
  const data = new Float32Array(total);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  const rows = parts.reduce((n, p) => n + p.shape[0]!, 0);
  return float32([rows, ...first.shape.slice(1)], data);
}

/**
 * Runs the scheduler's timesteps from `latents`.
 * @param latents [B, C, hLat, wLat] the starting sample (already noised / multiplied by initNoiseSigma)
 * @param cond [B, 77, D] conditional text embeddings
 * @param uncond [B, 77, D] unconditional (negative prompt) embeddings; used when guidance > 1
 * @returns [B, C, hLat, wLat] the final latents
 * @throws CancelledError when the signal fires (checked before every step)
 */
export async function denoise(
  predict: NoisePredictor,
  scheduler: Scheduler,
  latents: Latents,
  cond: Tensor<'float32'>,
  uncond: Tensor<'float32'> | undefined,
  options: DenoiseOptions = {},
): Promise<Latents> {
  const guidance = options.guidance ?? 7.5;
  validateGuidance(guidance);
  const guided = guidance > 1 && uncond !== undefined;
  const context = guided ? concatBatch([uncond, cond]) : cond;
  const total = scheduler.timesteps.length;
  const started = performance.now();
  let x = latents;
  for (let index = 0; index < total; index++) {
    if (options.signal?.aborted) throw new CancelledError('denoising');
    const t = scheduler.timesteps[index]!;
    const step: StepInfo = { index, t, sigma: scheduler.sigmaAt({ step: index }) };
    const input = scheduler.scaleModelInput(x, t);
    const batch = guided ? concatBatch([input, input]) : input;
    const prediction = await predict(batch, context, step, guided ? input.shape[0]! : 0);
    const modelOutput = guided ? applyGuidance(prediction, guidance) : prediction;
    const noise = options.noise?.normalTensor(x.shape);
    x = scheduler.step(modelOutput, t, x, noise).prevSample;
    if (options.afterStep) x = options.afterStep(x, step);
    options.onProgress?.({
      stage: 'denoise',
      step: index + 1,
      total,
      detail: `${((index + 1) / ((performance.now() - started) / 1000)).toFixed(2)} it/s`,
      ...(options.preview ? { preview: latentPreview(x, options.previewMatrix ?? SD_PREVIEW_MATRIX) } : {}),
    });
  }
  return x;
}

/** eps = u + g·(c − u) from a [2B, ...] prediction ordered [uncond, cond] (as diffusers). */
export function applyGuidance(prediction: Latents, guidance: number): Latents {
  const half = prediction.data.length / 2;
  const out = new Float32Array(half);
  const d = prediction.data;
  for (let i = 0; i < half; i++) out[i] = d[i]! + guidance * (d[half + i]! - d[i]!);
  return float32([prediction.shape[0]! / 2, ...prediction.shape.slice(1)], out);
}

/**
 * Latents → a small RGBA preview of the first batch element by a fixed linear map (no VAE decode).
 * @param latents [B, C, hLat, wLat] @returns hLat × wLat RGBA
 */
export function latentPreview(
  latents: Latents,
  matrix: readonly (readonly number[])[] = SD_PREVIEW_MATRIX,
): RgbaImage {
  const [, channels = 4, height = 0, width = 0] = latents.shape;
  const plane = height * width;
  const data = new Uint8Array(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < 3; k++) {
      let v = 0;
      for (let c = 0; c < Math.min(channels, matrix.length); c++)
        v += latents.data[c * plane + p]! * (matrix[c]![k] ?? 0);
      data[p * 4 + k] = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
    }
    data[p * 4 + 3] = 255;
  }
  return { width, height, data };
}
