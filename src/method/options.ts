// The options of generate / regenerate: one frozen default object, one resolver that merges the document's
// `generation` block and the caller's options and validates everything once (style.md "Options").
import { InputError, type Problem } from '../errors.ts';
import type { ProgressCallback } from '../progress.ts';
import { SCHEDULER_IDS, isSchedulerId, type SchedulerId } from '../sampling/index.ts';
import type { GenerationSettings } from '../collage/index.ts';
import { BIAS_SCHEDULES, type BiasSchedule } from './attention-bias.ts';
import type { InversionOptions } from './inversion-options.ts';

export interface GenerateOptions {
  /** Denoising steps. @default document, else 30 */ readonly steps?: number;
  /** Seed of variant 0; variant k uses seed + k. @default document, else a random one (recorded) */ readonly seed?: number;
  /** Sampler id. @default document, else 'euler-a' (the official demo's) */ readonly scheduler?: SchedulerId;
  /** Classifier-free guidance scale. @default document, else 7.5 */ readonly guidance?: number;
  /** Number of variants. @default 1 */ readonly n?: number;
  /** Learn (or load) per-layer tokens (method.md §5). @default true */ readonly inversion?: boolean;
  /** Cross-attention masking (method.md §4). @default true */ readonly attentionMask?: boolean;
  /** One strength (s_max) everywhere = SDEdit of the composite. @default false */ readonly uniformNoise?: boolean;
  /** Ignore the composite: plain text-to-image of the scene text (a baseline). @default false */ readonly txt2img?: boolean;
  /** f(σ) schedule. @default 'log-log' */ readonly biasSchedule?: BiasSchedule;
  /** Send a latent preview with each denoising progress event. @default false */ readonly preview?: boolean;
  /** Textual-inversion settings (steps, lr, batch, cache, …; inversion-options.ts). @default its defaults, seed 0 */
  readonly inversionOptions?: Omit<InversionOptions, 'onProgress' | 'signal'>;
  readonly onProgress?: ProgressCallback;
  readonly signal?: AbortSignal;
}

/** Every option with its value; what the pipeline reads and what the output records. */
export interface ResolvedGenerateOptions {
  readonly steps: number;
  readonly seed: number;
  readonly scheduler: SchedulerId;
  readonly guidance: number;
  readonly n: number;
  readonly inversion: boolean;
  readonly attentionMask: boolean;
  readonly uniformNoise: boolean;
  readonly txt2img: boolean;
  readonly biasSchedule: BiasSchedule;
  readonly preview: boolean;
}

export const DEFAULT_GENERATE_OPTIONS = Object.freeze({
  steps: 30,
  scheduler: 'euler-a' as SchedulerId,
  guidance: 7.5,
  n: 1,
  inversion: true,
  attentionMask: true,
  uniformNoise: false,
  txt2img: false,
  biasSchedule: 'log-log' as BiasSchedule,
  preview: false,
});

/** The most variants one call makes. */
export const MAX_VARIANTS = 64;

/**
 * Options > document `generation` > defaults, validated together.
 * @throws InputError listing every bad value (steps, seed, guidance, n, scheduler, bias schedule)
 */
export function resolveGenerateOptions(options: GenerateOptions, document: GenerationSettings = {}): ResolvedGenerateOptions {
  const d = DEFAULT_GENERATE_OPTIONS;
  const resolved: ResolvedGenerateOptions = {
    steps: options.steps ?? document.steps ?? d.steps,
    seed: options.seed ?? document.seed ?? Math.floor(Math.random() * 2 ** 32),
    scheduler: options.scheduler ?? document.scheduler ?? d.scheduler,
    guidance: options.guidance ?? document.guidance ?? d.guidance,
    n: options.n ?? d.n,
    inversion: options.inversion ?? d.inversion,
    attentionMask: options.attentionMask ?? d.attentionMask,
    uniformNoise: options.uniformNoise ?? d.uniformNoise,
    txt2img: options.txt2img ?? d.txt2img,
    biasSchedule: options.biasSchedule ?? d.biasSchedule,
    preview: options.preview ?? d.preview,
  };
  const problems: Problem[] = [];
  const { steps, seed, guidance, n, scheduler, biasSchedule } = resolved;
  if (!Number.isInteger(steps) || steps < 1 || steps > 1000) problems.push({ what: `steps must be an integer from 1 to 1000, got ${steps}`, where: 'steps', fix: 'use e.g. 30' });
  if (!Number.isSafeInteger(seed) || seed < 0) problems.push({ what: `seed must be a whole number ≥ 0, got ${seed}`, where: 'seed', fix: 'use e.g. 7' });
  if (!Number.isFinite(guidance) || guidance < 0 || guidance > 100) problems.push({ what: `guidance must be a finite number in [0, 100], got ${guidance}`, where: 'guidance', fix: 'use e.g. 7.5 (1 turns guidance off)' });
  if (!Number.isInteger(n) || n < 1 || n > MAX_VARIANTS) problems.push({ what: `n must be an integer from 1 to ${MAX_VARIANTS}, got ${n}`, where: 'n', fix: 'use e.g. 4' });
  if (!isSchedulerId(scheduler)) problems.push({ what: `unknown scheduler "${String(scheduler)}"`, where: 'scheduler', fix: `use one of ${SCHEDULER_IDS.join(', ')}` });
  if (!(BIAS_SCHEDULES as readonly string[]).includes(biasSchedule)) problems.push({ what: `unknown bias schedule "${String(biasSchedule)}"`, where: 'biasSchedule', fix: `use one of ${BIAS_SCHEDULES.join(', ')}` });
  if (resolved.txt2img && resolved.uniformNoise) problems.push({ what: 'txt2img and uniformNoise exclude each other', where: 'options', fix: 'pick one baseline' });
  if (problems.length > 0) throw new InputError(problems);
  return Object.freeze(resolved);
}
