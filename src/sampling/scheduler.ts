// The one Scheduler interface every sampling algorithm implements, so the denoising loop and the collage method
// never ask which one they drive (style.md "Schedulers"), plus the bookkeeping they share: step counts, the
// image-to-image start step, the step index, argument checks. Semantics: diffusers 0.27 schedulers.
import { BugError, InputError } from '../errors.ts';
import { float32, formatShape, type Tensor } from '../tensor.ts';
import { alphaCumprodAtTimestep, noiseSchedule, sigmaAtTimestep, type NoiseSchedule } from './schedule.ts';
import type { CommonSchedulerConfig } from './scheduler-config.ts';

/** Latents as the schedulers take and return them: float32, any shape (typically [B, 4, hLat, wLat]). */
export type Latents = Tensor<'float32'>;

/** What one denoising step returns. */
export interface StepResult {
  /** x_{t-1}: the sample to feed the next step, same shape as the input sample. */
  readonly prevSample: Latents;
  /** The step's estimate of the clean sample x0, same shape (a cheap preview or guidance target). */
  readonly predOriginalSample: Latents;
}

/** Options of setTimesteps. */
export interface SetTimestepsOptions {
  /**
   * Image-to-image strength in [0, 1]: the loop runs only the last int(count * strength) steps (diffusers
   * img2img `get_timesteps`). @default undefined (text-to-image: every step)
   */
  readonly strength?: number;
}

/** A position in the schedule: `step` = index into `timesteps` (0 .. timesteps.length), or a training timestep `t`. */
export type SchedulePosition = { readonly step: number } | { readonly t: number };

/**
 * A diffusion sampler. Usage: `setTimesteps(n)`, `x = noise * initNoiseSigma`, then for each t of `timesteps` in
 * order: `eps = unet(scaleModelInput(x, t), t)`, `x = step(eps, t, x).prevSample`.
 */
export interface Scheduler {
  /** diffusers `_class_name` this implements. */
  readonly className: string;
  /** The resolved config (diffusers key names): prediction_type, num_train_timesteps, spacing, betas. */
  readonly config: CommonSchedulerConfig;
  /** Model evaluations per entry of `timesteps` (1 for every scheduler here, as in diffusers). */
  readonly order: number;
  /** The training noise schedule (betas, alphas_cumprod, training sigmas). */
  readonly schedule: NoiseSchedule;
  /** Timesteps the loop runs, in order, from the strength start step on; empty before setTimesteps. */
  readonly timesteps: readonly number[];
  /** Sigma-based schedulers: the sigmas of the whole schedule [len + 1] (last = 0), as diffusers' `sigmas`. */
  readonly sigmas: Float32Array | undefined;
  /** Standard deviation of the initial noise: multiply unit Gaussian noise by it (text-to-image). */
  readonly initNoiseSigma: number;
  /** Index of the first entry of the full schedule that the loop runs (0 for text-to-image). */
  readonly beginIndex: number;
  /**
   * Sets `count` inference steps and clears all state (a fresh start).
   * @throws InputError when count is not an integer in [1, min(1000, num_train_timesteps)] or strength not in [0, 1]
   */
  setTimesteps(count: number, options?: SetTimestepsOptions): void;
  /** Index of the full schedule where image-to-image with `strength` starts, for the current step count. */
  startIndexForStrength(strength: number): number;
  /** The model input for timestep t: identity, or sample / sqrt(sigma^2 + 1) for the Euler family. */
  scaleModelInput(sample: Latents, t: number): Latents;
  /**
   * One denoising step from timestep t.
   * @param modelOutput the model's prediction (epsilon or v, per prediction_type), same shape as sample
   * @param noise fresh unit Gaussian noise for stochastic samplers (Euler ancestral, DDIM with eta > 0); ignored
   *   by deterministic ones. Required where used, so recorded noises replay and no hidden RNG exists.
   */
  step(modelOutput: Latents, t: number, sample: Latents, noise?: Latents): StepResult;
  /**
   * Forward diffusion of clean latents to timestep t, in this scheduler's sample space.
   * @param t one timestep for the whole batch, or one per batch element (shape[0] of x0)
   */
  addNoise(x0: Latents, noise: Latents, t: number | readonly number[]): Latents;
  /** Noise std sigma = sqrt((1 - alpha-bar) / alpha-bar) (variance-exploding units) at a step or timestep. */
  sigmaAt(position: SchedulePosition): number;
  /** Clears the multistep history and step counter, keeping the timesteps. */
  reset(): void;
}

/** The most inference steps accepted (SD's training schedule has 1000). */
export const MAX_STEPS = 1000;

/** Checks an inference step count. @throws InputError naming the valid range */
export function validateStepCount(count: number, numTrainTimesteps: number): void {
  const max = Math.min(MAX_STEPS, numTrainTimesteps);
  if (!Number.isInteger(count) || count < 1 || count > max) {
    throw new InputError({
      what: `steps must be an integer from 1 to ${max}, got ${count}`,
      where: 'steps',
      fix: `use for example 20 or 30 (at most ${max})`,
    });
  }
}

/** Checks an image-to-image strength. @throws InputError for values outside [0, 1] or not finite */
export function validateStrength(strength: number): void {
  if (!Number.isFinite(strength) || strength < 0 || strength > 1) {
    throw new InputError({
      what: `strength must be a number in [0, 1], got ${strength}`,
      where: 'strength',
      fix: 'use 0 to keep the image, 1 to ignore it, e.g. 0.75',
    });
  }
}

/**
 * diffusers img2img `get_timesteps`: init = min(int(count * strength), count); start = max(count - init, 0) * order.
 */
export function startIndexForStrength(count: number, strength: number, order: number): number {
  validateStrength(strength);
  const init = Math.min(Math.trunc(count * strength), count);
  return Math.max(count - init, 0) * order;
}

/** Throws InputError unless `b` has the shape of `a`. */
export function checkSameShape(a: Latents, b: Latents, aName: string, bName: string): void {
  if (
    a.shape.length !== b.shape.length ||
    a.shape.some((d, i) => d !== b.shape[i]) ||
    a.data.length !== b.data.length
  ) {
    throw new InputError({
      what: `${bName} has shape ${formatShape(b.shape)} but ${aName} has ${formatShape(a.shape)}`,
      where: bName,
      fix: `pass tensors of the same shape`,
    });
  }
}

/** Throws InputError unless t is finite. */
export function checkTimestep(t: number): void {
  if (!Number.isFinite(t)) {
    throw new InputError({
      what: `timestep must be a finite number, got ${t}`,
      where: 't',
      fix: 'pass a value of scheduler.timesteps',
    });
  }
}

/** Per-batch-element values of t for addNoise: [B] from one number or a list. */
export function timestepsPerBatch(x0: Latents, t: number | readonly number[]): number[] {
  const batch = x0.shape[0] ?? 1;
  const list = typeof t === 'number' ? new Array<number>(batch).fill(t) : [...t];
  if (list.length !== batch) {
    throw new InputError({
      what: `got ${list.length} timesteps for a batch of ${batch}`,
      where: 't',
      fix: 'pass one timestep, or one per batch element',
    });
  }
  list.forEach(checkTimestep);
  return list;
}

/** out[i] = a * x[i] + b * y[i], per batch element (coefficients [B]); the shape of x. */
export function mixPerBatch(x: Latents, y: Latents, a: readonly number[], b: readonly number[]): Latents {
  const out = new Float32Array(x.data.length);
  const inner = x.data.length / a.length;
  for (let i = 0; i < out.length; i++) {
    const k = Math.floor(i / inner);
    out[i] = a[k]! * x.data[i]! + b[k]! * y.data[i]!;
  }
  return float32(x.shape, out);
}

/**
 * x_t = sqrt(alpha-bar_t) x0 + sqrt(1 - alpha-bar_t) noise (DDPM eq. 4): the addNoise of the alpha-bar samplers
 * (DDIM, PNDM). @param t training timestep per batch element, or one for all
 * @returns [B, C, hLat, wLat], the shape of x0
 */
export function addNoiseDdpm(schedule: NoiseSchedule, x0: Latents, noise: Latents, t: number | readonly number[]): Latents {
  checkSameShape(x0, noise, 'x0', 'noise');
  const abar = timestepsPerBatch(x0, t).map((ti) => alphaCumprodAtTimestep(schedule, ti));
  return mixPerBatch(
    x0,
    noise,
    abar.map((a) => Math.sqrt(a)),
    abar.map((a) => Math.sqrt(1 - a)),
  );
}

/**
 * The shared part of every scheduler: schedule, step counts, strength start, step-index tracking.
 * Subclasses compute their full schedule in `computeTimesteps` and implement the maths.
 */
export abstract class SchedulerBase implements Scheduler {
  abstract readonly className: string;
  readonly order: number = 1;
  readonly schedule: NoiseSchedule;
  /** Inference steps requested by the last setTimesteps (0 before). */
  protected stepCount = 0;
  /** The full schedule, before the strength start. */
  protected allTimesteps: readonly number[] = [];
  beginIndex = 0;
  /** Index into allTimesteps of the next step; undefined until the first scaleModelInput/step. */
  protected stepIndex: number | undefined;

  protected constructor(readonly config: CommonSchedulerConfig) {
    this.schedule = noiseSchedule(config);
  }

  get timesteps(): readonly number[] {
    return this.allTimesteps.slice(this.beginIndex);
  }

  get sigmas(): Float32Array | undefined {
    return undefined;
  }

  abstract get initNoiseSigma(): number;

  /** Computes the full schedule for `count` steps (and any per-schedule arrays); returns the timesteps. */
  protected abstract computeTimesteps(count: number): readonly number[];

  abstract scaleModelInput(sample: Latents, t: number): Latents;
  abstract step(modelOutput: Latents, t: number, sample: Latents, noise?: Latents): StepResult;
  abstract addNoise(x0: Latents, noise: Latents, t: number | readonly number[]): Latents;

  setTimesteps(count: number, options: SetTimestepsOptions = {}): void {
    validateStepCount(count, this.config.num_train_timesteps);
    if (options.strength !== undefined) validateStrength(options.strength);
    this.allTimesteps = this.computeTimesteps(count);
    this.stepCount = count;
    this.beginIndex =
      options.strength === undefined ? 0 : startIndexForStrength(count, options.strength, this.order);
    this.reset();
  }

  startIndexForStrength(strength: number): number {
    this.requireTimesteps();
    return startIndexForStrength(this.stepCount, strength, this.order);
  }

  reset(): void {
    this.stepIndex = undefined;
  }

  sigmaAt(position: SchedulePosition): number {
    this.requireTimesteps();
    if ('step' in position) {
      const loop = this.timesteps;
      if (!Number.isInteger(position.step) || position.step < 0 || position.step > loop.length) {
        throw new InputError({
          what: `step ${position.step} is outside 0..${loop.length}`,
          where: 'sigmaAt',
          fix: 'pass an index into scheduler.timesteps',
        });
      }
      return this.sigmaAtIndex(this.beginIndex + position.step);
    }
    checkTimestep(position.t);
    const index = this.allTimesteps.indexOf(position.t);
    return index >= 0 && this.sigmas !== undefined
      ? this.sigmas[index]!
      : sigmaAtTimestep(this.schedule, position.t);
  }

  /** Sigma of the sample entering full-schedule index i (i = length: after the last step). */
  protected sigmaAtIndex(index: number): number {
    const sigmas = this.sigmas;
    if (sigmas !== undefined) return sigmas[index]!;
    const t = this.allTimesteps[index];
    const abar = t === undefined ? this.finalAlphaCumprod() : alphaCumprodAtTimestep(this.schedule, t);
    return Math.sqrt((1 - abar) / abar);
  }

  /** alpha-bar after the last step (DDIM/PNDM's final_alpha_cumprod); sigma schedulers end at sigma 0. */
  protected finalAlphaCumprod(): number {
    return 1;
  }

  protected requireTimesteps(): void {
    if (this.stepCount === 0) {
      throw new BugError(`${this.className}: call setTimesteps(count) before sampling`);
    }
  }

  /**
   * The full-schedule index of the step about to run with timestep t (does not advance). The loop must pass
   * the values of `timesteps` in order: a different t is an InputError naming the expected one.
   */
  protected currentIndex(t: number): number {
    this.requireTimesteps();
    checkTimestep(t);
    const index = this.stepIndex ?? this.beginIndex;
    const expected = this.allTimesteps[index];
    if (expected === undefined) {
      throw new InputError({
        what: `all ${this.allTimesteps.length} steps of the schedule have run`,
        where: `${this.className}.step`,
        fix: 'call setTimesteps() or reset() to sample again',
      });
    }
    if (t !== expected) {
      throw new InputError({
        what: `timestep ${t} is not the next one of the schedule (expected ${expected}, step ${index - this.beginIndex})`,
        where: `${this.className}.step`,
        fix: 'pass the values of scheduler.timesteps in order, or call reset() to start over',
      });
    }
    this.stepIndex = index;
    return index;
  }

  /** Marks the step at `index` as done. */
  protected advance(index: number): void {
    this.stepIndex = index + 1;
  }
}
