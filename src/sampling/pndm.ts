// PNDM's pseudo linear multistep sampler (Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models",
// eq. 9 transfer + eq. 12 PLMS), with diffusers 0.27 PNDMScheduler semantics for skip_prk_steps = true (SD 1.x's
// default scheduler): n + 1 model evaluations, the second timestep repeated for a 2nd-order warm-up.
import { float32 } from '../tensor.ts';
import { alphaCumprodAtTimestep, spacedTimesteps } from './schedule.ts';
import { ConfigReader, type CommonSchedulerConfig, type RawSchedulerConfig } from './scheduler-config.ts';
import {
  SchedulerBase,
  addNoiseDdpm,
  checkSameShape,
  type Latents,
  type StepResult,
} from './scheduler.ts';

/** PNDMScheduler's scheduler_config.json keys (diffusers names). */
export interface PndmConfig extends CommonSchedulerConfig {
  /** alpha-bar after the last step: 1 when true, alphas_cumprod[0] when false. @default false */
  readonly set_alpha_to_one: boolean;
}

/** Reads a PNDMScheduler config; only skip_prk_steps = true (PLMS only, as every SD config) is supported. */
export function resolvePndmConfig(raw: RawSchedulerConfig, where: string): PndmConfig {
  const reader = new ConfigReader(raw, where);
  const common = reader.common({ timestep_spacing: 'leading' });
  const config: PndmConfig = { ...common, set_alpha_to_one: reader.bool('set_alpha_to_one', false) };
  reader.mustBe(
    'skip_prk_steps',
    true,
    'the Runge-Kutta warm-up (skip_prk_steps false, the class default) is not implemented',
  );
  reader.finish();
  return config;
}

/** PLMS; keeps the last 4 model outputs between steps (reset() or setTimesteps() clears them). */
export class PndmScheduler extends SchedulerBase {
  readonly className = 'PNDMScheduler';
  /** Model outputs of previous steps, oldest first (diffusers' `ets`, at most 4). */
  private outputs: Float32Array[] = [];
  /** Steps taken since reset (diffusers' `counter`). */
  private counter = 0;
  /** The sample of the first step, reused by the repeated second timestep (diffusers' `cur_sample`). */
  private firstSample: Float32Array | undefined;

  constructor(override readonly config: PndmConfig) {
    super(config);
  }

  get initNoiseSigma(): number {
    return 1;
  }

  protected computeTimesteps(count: number): readonly number[] {
    const c = this.config;
    const descending = spacedTimesteps(
      c.timestep_spacing,
      count,
      c.num_train_timesteps,
      c.steps_offset,
      true,
    );
    if (descending.length < 2) return descending;
    // The second timestep runs twice: its first evaluation completes a 2nd-order step from the first one.
    return [descending[0]!, descending[1]!, ...descending.slice(1)];
  }

  protected override finalAlphaCumprod(): number {
    return this.config.set_alpha_to_one ? 1 : this.schedule.alphasCumprod[0]!;
  }

  override reset(): void {
    super.reset();
    this.outputs = [];
    this.counter = 0;
    this.firstSample = undefined;
  }

  /** Identity: PNDM needs no input scaling. */
  scaleModelInput(sample: Latents, t: number): Latents {
    this.currentIndex(t);
    return sample;
  }

  /**
   * One PLMS step. The effective noise e' combines the stored outputs: e0 (first step), (e1 + e0)/2 (the repeated
   * timestep, from the first step's sample), (3e_k - e_{k-1})/2, (23e_k - 16e_{k-1} + 5e_{k-2})/12, then
   * (55e_k - 59e_{k-1} + 37e_{k-2} - 9e_{k-3})/24; the transfer (eq. 9) is x_prev = sqrt(a_prev/a_t) x
   * - (a_prev - a_t) e' / (a_t sqrt(1 - a_prev) + sqrt(a_t (1 - a_t) a_prev)).
   * `predOriginalSample` is not computed by diffusers; here it is (x - sqrt(1 - a_t) e') / sqrt(a_t).
   * Deterministic: `noise` is ignored.
   */
  step(modelOutput: Latents, t: number, sample: Latents, _noise?: Latents): StepResult {
    checkSameShape(sample, modelOutput, 'sample', 'modelOutput');
    const index = this.currentIndex(t);
    const ratio = Math.floor(this.config.num_train_timesteps / this.stepCount);
    let timestep = t;
    let prevTimestep = t - ratio;
    let x = sample.data;
    const current = Float32Array.from(modelOutput.data);
    if (this.counter !== 1) {
      this.outputs = [...this.outputs.slice(-3), current];
    } else {
      prevTimestep = t;
      timestep = t + ratio;
    }
    const e = this.outputs;
    const n = e.length;
    const combined = new Float32Array(current.length);
    for (let i = 0; i < combined.length; i++) {
      const e0 = e[n - 1]![i]!;
      if (n === 1 && this.counter === 0) combined[i] = current[i]!;
      else if (n === 1 && this.counter === 1) combined[i] = (current[i]! + e0) / 2;
      else if (n === 2) combined[i] = (3 * e0 - e[n - 2]![i]!) / 2;
      else if (n === 3) combined[i] = (23 * e0 - 16 * e[n - 2]![i]! + 5 * e[n - 3]![i]!) / 12;
      else combined[i] = (55 * e0 - 59 * e[n - 2]![i]! + 37 * e[n - 3]![i]! - 9 * e[n - 4]![i]!) / 24;
    }
    if (n === 1 && this.counter === 0) this.firstSample = Float32Array.from(sample.data);
    if (n === 1 && this.counter === 1 && this.firstSample !== undefined) {
      x = this.firstSample;
      this.firstSample = undefined;
    }
    const result = this.transfer(x, timestep, prevTimestep, combined);
    this.counter++;
    this.advance(index);
    return {
      prevSample: float32(sample.shape, result.prev),
      predOriginalSample: float32(sample.shape, result.x0),
    };
  }

  /** PNDM eq. 9 from timestep to prevTimestep with effective output e' (epsilon, or v converted to epsilon). */
  private transfer(
    x: Float32Array,
    timestep: number,
    prevTimestep: number,
    output: Float32Array,
  ): { prev: Float32Array; x0: Float32Array } {
    const a = alphaCumprodAtTimestep(this.schedule, timestep);
    const aPrev =
      prevTimestep >= 0 ? alphaCumprodAtTimestep(this.schedule, prevTimestep) : this.finalAlphaCumprod();
    const sampleCoefficient = Math.sqrt(aPrev / a);
    const denominator = a * Math.sqrt(1 - aPrev) + Math.sqrt(a * (1 - a) * aPrev);
    const vPrediction = this.config.prediction_type === 'v_prediction';
    const prev = new Float32Array(x.length);
    const x0 = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const eps = vPrediction ? Math.sqrt(a) * output[i]! + Math.sqrt(1 - a) * x[i]! : output[i]!;
      prev[i] = sampleCoefficient * x[i]! - ((aPrev - a) * eps) / denominator;
      x0[i] = (x[i]! - Math.sqrt(1 - a) * eps) / Math.sqrt(a);
    }
    return { prev, x0 };
  }

  /** x_t = sqrt(alpha-bar_t) x0 + sqrt(1 - alpha-bar_t) noise, t per batch element or shared. */
  addNoise(x0: Latents, noise: Latents, t: number | readonly number[]): Latents {
    return addNoiseDdpm(this.schedule, x0, noise, t);
  }
}
