// The options of per-layer textual inversion (method.md §5): one frozen default object (the paper's settings),
// one resolver that validates everything once; `inversionSettings` is the part that changes the result (cache key).
import { InputError, type Problem } from '../errors.ts';
import type { ProgressCallback } from '../progress.ts';

/** What a learned token starts from: the embedding of "a", or the mean embedding of the layer text's last word. */
export const INVERSION_INITS = ['a', 'head-noun'] as const;
export type InversionInit = (typeof INVERSION_INITS)[number];

export interface InversionOptions {
  /** Optimisation steps per layer. @default the model's (model_index.json "_collage_diffusion".inversion.steps), else 250 */ readonly steps?: number;
  /** Captions / timesteps / noises per step. @default 4 */ readonly batch?: number;
  /** AdamW peak learning rate. @default 4e-4 */ readonly lr?: number;
  /** @default 0.9 */ readonly beta1?: number;
  /** @default 0.999 */ readonly beta2?: number;
  /** @default 1e-8 */ readonly eps?: number;
  /** Decoupled weight decay. @default 1e-2 */ readonly weightDecay?: number;
  /** Gradient L2-norm clip. @default 1.0 */ readonly maxGradNorm?: number;
  /** Linear warm-up steps. @default 25 */ readonly warmupSteps?: number;
  /** Colour jitter: brightness factor drawn from [1 − b, 1 + b]. @default 0.2 */ readonly brightness?: number;
  /** Colour jitter: contrast factor drawn from [1 − c, 1 + c]. @default 0.1 */ readonly contrast?: number;
  /** Jittered copies of the target encoded once by the VAE and drawn from per batch item. @default 8 */ readonly targetVariants?: number;
  /** Initial embedding. @default 'head-noun' (lower held-out loss than 'a' at 250 steps on the embedded model: see inversion.ts) */ readonly init?: InversionInit;
  /** Seed of every random draw (captions, t, noise, jitter); the same seed gives the same bytes. @default 0 */ readonly seed?: number;
  /** Reuse embeddings learned before for the same model, pixels, text and settings. @default true */ readonly cache?: boolean;
  /** Embedding cache folder. @default COLLAGE_CACHE_DIR/embeddings, else the user cache dir's embeddings/ */ readonly cacheDir?: string;
  readonly onProgress?: ProgressCallback;
  readonly signal?: AbortSignal;
}

/** The settings that determine a learned embedding (everything but cache, callbacks and cancellation). */
export interface InversionSettings {
  readonly steps: number;
  readonly batch: number;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number;
  readonly warmupSteps: number;
  readonly brightness: number;
  readonly contrast: number;
  readonly targetVariants: number;
  readonly init: InversionInit;
  readonly seed: number;
}

export interface ResolvedInversionOptions extends InversionSettings {
  readonly cache: boolean;
  readonly cacheDir: string | undefined;
  readonly onProgress: ProgressCallback | undefined;
  readonly signal: AbortSignal | undefined;
}

export const DEFAULT_INVERSION_OPTIONS: InversionSettings = Object.freeze({
  steps: 250,
  batch: 4,
  lr: 4e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 1e-2,
  maxGradNorm: 1,
  warmupSteps: 25,
  brightness: 0.2,
  contrast: 0.1,
  targetVariants: 8,
  init: 'head-noun',
  seed: 0,
});

/** Settings a model folder may default differently (io's CollageModelDefaults.inversion). */
export interface InversionModelDefaults {
  readonly steps?: number;
}

/**
 * Defaults merged with `options`, validated together: what the caller sets wins, then the model's defaults, then
 * DEFAULT_INVERSION_OPTIONS.
 * @param modelDefaults the model's own defaults (StableDiffusion.collageDefaults.inversion)
 * @throws InputError listing every bad value
 */
export function resolveInversionOptions(options: InversionOptions = {}, modelDefaults: InversionModelDefaults = {}): ResolvedInversionOptions {
  const d = DEFAULT_INVERSION_OPTIONS;
  const settings: InversionSettings = {
    steps: options.steps ?? modelDefaults.steps ?? d.steps,
    batch: options.batch ?? d.batch,
    lr: options.lr ?? d.lr,
    beta1: options.beta1 ?? d.beta1,
    beta2: options.beta2 ?? d.beta2,
    eps: options.eps ?? d.eps,
    weightDecay: options.weightDecay ?? d.weightDecay,
    maxGradNorm: options.maxGradNorm ?? d.maxGradNorm,
    warmupSteps: options.warmupSteps ?? d.warmupSteps,
    brightness: options.brightness ?? d.brightness,
    contrast: options.contrast ?? d.contrast,
    targetVariants: options.targetVariants ?? d.targetVariants,
    init: options.init ?? d.init,
    seed: options.seed ?? d.seed,
  };
  const problems: Problem[] = [];
  const integer = (key: keyof InversionSettings, min: number, max: number, example: number): void => {
    const v = settings[key] as number;
    if (!Number.isInteger(v) || v < min || v > max) problems.push({ what: `${key} must be an integer from ${min} to ${max}, got ${v}`, where: `inversion options → ${key}`, fix: `use e.g. ${example}` });
  };
  const inRange = (key: keyof InversionSettings, lo: number, hi: number, example: number, open = false): void => {
    const v = settings[key] as number;
    if (!Number.isFinite(v) || v < lo || v > hi || (open && v === lo)) problems.push({ what: `${key} must be in ${open ? '(' : '['}${lo}, ${hi}], got ${v}`, where: `inversion options → ${key}`, fix: `use e.g. ${example}` });
  };
  integer('steps', 1, 100_000, 250);
  integer('batch', 1, 64, 4);
  integer('warmupSteps', 0, 100_000, 25);
  integer('targetVariants', 1, 256, 8);
  inRange('lr', 0, 1, 4e-4, true);
  inRange('beta1', 0, 0.999999, 0.9);
  inRange('beta2', 0, 0.999999, 0.999);
  inRange('eps', 0, 1, 1e-8, true);
  inRange('weightDecay', 0, 1, 0.01);
  inRange('maxGradNorm', 0, 1e6, 1, true);
  inRange('brightness', 0, 1, 0.2);
  inRange('contrast', 0, 1, 0.1);
  if (!Number.isSafeInteger(settings.seed) || settings.seed < 0) problems.push({ what: `seed must be a whole number ≥ 0, got ${settings.seed}`, where: 'inversion options → seed', fix: 'use e.g. 0' });
  if (!(INVERSION_INITS as readonly string[]).includes(settings.init)) problems.push({ what: `unknown init "${String(settings.init)}"`, where: 'inversion options → init', fix: `use one of ${INVERSION_INITS.join(', ')}` });
  if (problems.length > 0) throw new InputError(problems);
  return Object.freeze({ ...settings, cache: options.cache ?? true, cacheDir: options.cacheDir, onProgress: options.onProgress, signal: options.signal });
}

/** The result-determining part of resolved options, in a fixed key order (hashed into the cache key). */
export function inversionSettings(o: InversionSettings): InversionSettings {
  const d = DEFAULT_INVERSION_OPTIONS;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(d) as (keyof InversionSettings)[]) out[key] = o[key];
  return out as unknown as InversionSettings;
}
