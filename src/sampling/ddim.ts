// DDIM (Song et al. 2020, "Denoising Diffusion Implicit Models", eq. 12 and 16) with diffusers 0.27
// DDIMScheduler semantics: integer timesteps, prev_t = t - N div n, eta-controlled stochasticity.
import { InputError } from '../errors.ts';
import { float32 } from '../tensor.ts';
import { alphaCumprodAtTimestep, spacedTimesteps } from './schedule.ts';
import { ConfigReader, type CommonSchedulerConfig, type RawSchedulerConfig } from './scheduler-config.ts';
import {
  SchedulerBase,
  addNoiseDdpm,
  checkSameShape,
  checkTimestep,
  type Latents,
  type StepResult,
} from './scheduler.ts';

/** DDIMScheduler's scheduler_config.json keys (diffusers names). */
export interface DdimConfig extends CommonSchedulerConfig {
  /** Clamp x0 to [-clip_sample_range, clip_sample_range]. @default true (false in SD configs) */
  readonly clip_sample: boolean;
  /** @default 1 */
  readonly clip_sample_range: number;
  /** alpha-bar after the last step: 1 when true, alphas_cumprod[0] when false. @default true (false in SD) */
  readonly set_alpha_to_one: boolean;
}

/** Options that are not part of scheduler_config.json. */
export interface DdimOptions {
  /** eta in eq. 16: 0 = deterministic DDIM, 1 = DDPM-like. Needs `noise` in step when > 0. @default 0 */
  readonly eta?: number;
}

/** Reads a DDIMScheduler config with diffusers' constructor defaults. @throws ModelError */
export function resolveDdimConfig(raw: RawSchedulerConfig, where: string): DdimConfig {
  const reader = new ConfigReader(raw, where);
  const common = reader.common({ timestep_spacing: 'leading' });
  const config: DdimConfig = {
    ...common,
    clip_sample: reader.bool('clip_sample', true),
    clip_sample_range: reader.number('clip_sample_range', 1, { min: 0 }),
    set_alpha_to_one: reader.bool('set_alpha_to_one', true),
  };
  reader.only('thresholding', false, 'dynamic thresholding is not implemented');
  reader.finish();
  return config;
}

/** DDIM sampler; stateless between steps (any integer t of the schedule may be stepped, in any order). */
export class DdimScheduler extends SchedulerBase {
  readonly className = 'DDIMScheduler';
  readonly eta: number;

  /** @throws InputError when eta is negative or not finite */
  constructor(
    override readonly config: DdimConfig,
    options: DdimOptions = {},
  ) {
    super(config);
    const eta = options.eta ?? 0;
    if (!Number.isFinite(eta) || eta < 0) {
      throw new InputError({
        what: `eta must be a finite number >= 0, got ${eta}`,
        where: 'eta',
        fix: 'use 0 (deterministic) to 1',
      });
    }
    this.eta = eta;
  }

  get initNoiseSigma(): number {
    return 1;
  }

  protected computeTimesteps(count: number): readonly number[] {
    return spacedTimesteps(
      this.config.timestep_spacing,
      count,
      this.config.num_train_timesteps,
      this.config.steps_offset,
      true,
    );
  }

  protected override finalAlphaCumprod(): number {
    return this.config.set_alpha_to_one ? 1 : this.schedule.alphasCumprod[0]!;
  }

  /** Identity: DDIM needs no input scaling (kept so schedulers stay interchangeable). */
  scaleModelInput(sample: Latents, _t: number): Latents {
    return sample;
  }

  /**
   * One DDIM step (eq. 12). Symbols: alpha_t = alpha-bar at t, alpha_prev = alpha-bar at t - N div n
   * (final_alpha_cumprod below 0); x0 = (x_t - sqrt(1 - alpha_t) eps) / sqrt(alpha_t) (epsilon) or
   * sqrt(alpha_t) x_t - sqrt(1 - alpha_t) v (v_prediction); sigma_t = eta sqrt((1 - alpha_prev) / (1 - alpha_t))
   * sqrt(1 - alpha_t / alpha_prev) (eq. 16); x_prev = sqrt(alpha_prev) x0 + sqrt(1 - alpha_prev - sigma_t^2) eps
   * + sigma_t z.
   * @param noise z, unit Gaussian, same shape; required when eta > 0
   */
  step(modelOutput: Latents, t: number, sample: Latents, noise?: Latents): StepResult {
    this.requireTimesteps();
    checkTimestep(t);
    checkSameShape(sample, modelOutput, 'sample', 'modelOutput');
    const prevT = t - Math.floor(this.config.num_train_timesteps / this.stepCount);
    const alphaT = alphaCumprodAtTimestep(this.schedule, t);
    const alphaPrev = prevT >= 0 ? alphaCumprodAtTimestep(this.schedule, prevT) : this.finalAlphaCumprod();
    const betaT = 1 - alphaT;
    const variance = ((1 - alphaPrev) / betaT) * (1 - alphaT / alphaPrev);
    const stdDev = this.eta * Math.sqrt(variance);
    if (stdDev > 0) {
      if (noise === undefined) {
        throw new InputError({
          what: `DDIM with eta ${this.eta} needs noise`,
          where: 'DDIMScheduler.step',
          fix: 'pass noise (e.g. rng.normal(sample.shape))',
        });
      }
      checkSameShape(sample, noise, 'sample', 'noise');
    }
    const direction = Math.sqrt(1 - alphaPrev - stdDev * stdDev);
    const clip = this.config.clip_sample ? this.config.clip_sample_range : Infinity;
    const vPrediction = this.config.prediction_type === 'v_prediction';
    const x0 = new Float32Array(sample.data.length);
    const prev = new Float32Array(sample.data.length);
    for (let i = 0; i < prev.length; i++) {
      const x = sample.data[i]!;
      const out = modelOutput.data[i]!;
      let predX0 = vPrediction
        ? Math.sqrt(alphaT) * x - Math.sqrt(betaT) * out
        : (x - Math.sqrt(betaT) * out) / Math.sqrt(alphaT);
      const predEps = vPrediction ? Math.sqrt(alphaT) * out + Math.sqrt(betaT) * x : out;
      predX0 = Math.min(Math.max(predX0, -clip), clip);
      x0[i] = predX0;
      let value = Math.sqrt(alphaPrev) * predX0 + direction * predEps;
      if (stdDev > 0) value += stdDev * noise!.data[i]!;
      prev[i] = value;
    }
    return { prevSample: float32(sample.shape, prev), predOriginalSample: float32(sample.shape, x0) };
  }

  /** x_t = sqrt(alpha-bar_t) x0 + sqrt(1 - alpha-bar_t) noise (DDPM eq. 4), t per batch element or shared. */
  addNoise(x0: Latents, noise: Latents, t: number | readonly number[]): Latents {
    return addNoiseDdpm(this.schedule, x0, noise, t);
  }
}
