// Euler sampler (Karras et al. 2022, "Elucidating the Design Space...", Algorithm 2 without churn) with diffusers
// 0.27 EulerDiscreteScheduler semantics: float timesteps, sigmas interpolated at them, sigma-scaled model input.
import { float32 } from '../tensor.ts';
import { karrasSigmas, sigmaAtTimestep, spacedTimesteps, timestepForSigma } from './schedule.ts';
import { ConfigReader, type CommonSchedulerConfig, type RawSchedulerConfig } from './scheduler-config.ts';
import {
  SchedulerBase,
  checkSameShape,
  mixPerBatch,
  timestepsPerBatch,
  type Latents,
  type StepResult,
} from './scheduler.ts';

/** EulerDiscreteScheduler's scheduler_config.json keys (diffusers names). */
export interface EulerConfig extends CommonSchedulerConfig {
  /** Karras et al. rho-7 sigmas instead of the interpolated training sigmas. @default false */
  readonly use_karras_sigmas: boolean;
  /** Karras range; undefined = the schedule's own ends. @default undefined */
  readonly sigma_min: number | undefined;
  /** @default undefined */
  readonly sigma_max: number | undefined;
}

/** Reads an EulerDiscreteScheduler config with diffusers' constructor defaults. @throws ModelError */
export function resolveEulerConfig(raw: RawSchedulerConfig, where: string): EulerConfig {
  const reader = new ConfigReader(raw, where);
  const config = readEulerKeys(reader);
  reader.finish();
  return config;
}

/** The Euler keys, for Euler and (without the Karras ones) Euler ancestral. */
export function readEulerKeys(reader: ConfigReader, karrasAllowed = true): EulerConfig {
  const common = reader.common({ timestep_spacing: 'linspace' });
  reader.only('interpolation_type', 'linear', 'only linear sigma interpolation is implemented');
  reader.only('timestep_type', 'discrete', 'continuous (EDM) timesteps are not implemented');
  const sigmaMin = reader.number('sigma_min', NaN, { min: 0 });
  const sigmaMax = reader.number('sigma_max', NaN, { min: 0 });
  return {
    ...common,
    use_karras_sigmas: karrasAllowed ? reader.bool('use_karras_sigmas', false) : false,
    sigma_min: Number.isNaN(sigmaMin) ? undefined : sigmaMin,
    sigma_max: Number.isNaN(sigmaMax) ? undefined : sigmaMax,
  };
}

/** x0 from the model output at noise level sigma (VE form): epsilon or v-prediction. */
export function predictOriginal(vPrediction: boolean, x: number, out: number, sigma: number): number {
  return vPrediction
    ? out * (-sigma / Math.sqrt(sigma * sigma + 1)) + x / (sigma * sigma + 1)
    : x - sigma * out;
}

/** Euler sampler; keeps its step index, so pass `timesteps` in order (reset() or setTimesteps() to restart). */
export class EulerScheduler extends SchedulerBase {
  readonly className: string = 'EulerDiscreteScheduler';
  private scheduleSigmas = new Float32Array(0);

  constructor(override readonly config: EulerConfig) {
    super(config);
  }

  override get sigmas(): Float32Array {
    return this.scheduleSigmas;
  }

  /** sigma_max for linspace/trailing spacing, sqrt(sigma_max^2 + 1) for leading (diffusers' own quirk). */
  get initNoiseSigma(): number {
    this.requireTimesteps();
    let max = 0;
    for (const s of this.scheduleSigmas) max = Math.max(max, s);
    return this.config.timestep_spacing === 'leading' ? Math.fround(Math.sqrt(max * max + 1)) : max;
  }

  protected computeTimesteps(count: number): readonly number[] {
    const c = this.config;
    let timesteps = spacedTimesteps(
      c.timestep_spacing,
      count,
      c.num_train_timesteps,
      c.steps_offset,
      false,
    ).map(Math.fround);
    let sigmas: number[] = timesteps.map((t) => sigmaAtTimestep(this.schedule, t));
    if (c.use_karras_sigmas) {
      const sigmaMin = c.sigma_min ?? sigmas[sigmas.length - 1]!;
      const sigmaMax = c.sigma_max ?? sigmas[0]!;
      sigmas = Array.from(karrasSigmas(sigmaMin, sigmaMax, count));
      timesteps = sigmas.map((s) => Math.fround(timestepForSigma(this.schedule, s)));
    }
    this.scheduleSigmas = Float32Array.from([...sigmas, 0]);
    return timesteps;
  }

  /** sample / sqrt(sigma^2 + 1): the VE sample brought back to unit variance for the UNet. */
  scaleModelInput(sample: Latents, t: number): Latents {
    const sigma = this.scheduleSigmas[this.currentIndex(t)]!;
    const scale = 1 / Math.sqrt(sigma * sigma + 1);
    return float32(
      sample.shape,
      sample.data.map((x) => x * scale),
    );
  }

  /**
   * One Euler step: x0 = x - sigma eps (or the v form), d = (x - x0) / sigma, x' = x + d (sigma' - sigma).
   * Deterministic: `noise` is ignored.
   */
  step(modelOutput: Latents, t: number, sample: Latents, _noise?: Latents): StepResult {
    checkSameShape(sample, modelOutput, 'sample', 'modelOutput');
    const index = this.currentIndex(t);
    const sigma = this.scheduleSigmas[index]!;
    const dt = this.scheduleSigmas[index + 1]! - sigma;
    const vPrediction = this.config.prediction_type === 'v_prediction';
    const x0 = new Float32Array(sample.data.length);
    const prev = new Float32Array(sample.data.length);
    for (let i = 0; i < prev.length; i++) {
      const x = sample.data[i]!;
      const predX0 = predictOriginal(vPrediction, x, modelOutput.data[i]!, sigma);
      x0[i] = predX0;
      prev[i] = x + ((x - predX0) / sigma) * dt;
    }
    this.advance(index);
    return { prevSample: float32(sample.shape, prev), predOriginalSample: float32(sample.shape, x0) };
  }

  /** x_sigma = x0 + sigma(t) noise (VE form; sigma of the schedule entry t, else interpolated), t per batch or shared. */
  addNoise(x0: Latents, noise: Latents, t: number | readonly number[]): Latents {
    checkSameShape(x0, noise, 'x0', 'noise');
    const sigmas = timestepsPerBatch(x0, t).map((ti) => this.sigmaAt({ t: ti }));
    return mixPerBatch(
      x0,
      noise,
      sigmas.map(() => 1),
      sigmas,
    );
  }
}
