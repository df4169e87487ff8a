// DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Algorithm 2, data prediction) with diffusers 0.27
// DPMSolverMultistepScheduler semantics: algorithm_type dpmsolver++, solver_order 2, midpoint or heun,
// lower_order_final, optional Karras sigmas, final sigma 0 or sigma_min.
import { float32 } from '../tensor.ts';
import {
  karrasSigmas,
  numpyArange,
  numpyLinspace,
  roundHalfEven,
  sigmaAtTimestep,
  timestepForSigma,
  type TimestepSpacing,
} from './schedule.ts';
import { ConfigReader, type CommonSchedulerConfig, type RawSchedulerConfig } from './scheduler-config.ts';
import {
  SchedulerBase,
  checkSameShape,
  mixPerBatch,
  timestepsPerBatch,
  type Latents,
  type StepResult,
} from './scheduler.ts';

/** DPMSolverMultistepScheduler's scheduler_config.json keys that we use (diffusers names). */
export interface DpmSolverConfig extends CommonSchedulerConfig {
  /** 1 = DPM-Solver++(1S) (DDIM-like), 2 = DPM-Solver++(2M). @default 2 */
  readonly solver_order: 1 | 2;
  /** Second-order correction form. @default 'midpoint' */
  readonly solver_type: 'midpoint' | 'heun';
  /** First-order last step (and second-order second-to-last) for fewer than 15 steps. @default true */
  readonly lower_order_final: boolean;
  /** First-order last step always. @default false */
  readonly euler_at_final: boolean;
  /** @default false */
  readonly use_karras_sigmas: boolean;
  /** Sigma after the last step: 0, or the schedule's smallest sigma. @default 'zero' */
  readonly final_sigmas_type: 'zero' | 'sigma_min';
  /** Clips lambda(t) = log(alpha_t / sigma_t) from below by truncating the schedule. @default -Infinity */
  readonly lambda_min_clipped: number;
}

/** Reads a DPMSolverMultistepScheduler config with diffusers' constructor defaults. @throws ModelError */
export function resolveDpmSolverConfig(raw: RawSchedulerConfig, where: string): DpmSolverConfig {
  const reader = new ConfigReader(raw, where);
  const common = reader.common({ timestep_spacing: 'linspace' });
  const order = reader.number('solver_order', 2, { integer: true, min: 1 });
  if (order > 2) reader.only('solver_order', 2, 'only orders 1 and 2 (2M) are implemented');
  reader.only('algorithm_type', 'dpmsolver++', 'only the data-prediction DPM-Solver++ is implemented');
  reader.only('thresholding', false, 'dynamic thresholding is not implemented');
  reader.only('use_lu_lambdas', false, 'Lu lambda spacing is not implemented');
  reader.only('variance_type', null, 'learned variance is not implemented');
  const config: DpmSolverConfig = {
    ...common,
    solver_order: order === 1 ? 1 : 2,
    solver_type: reader.oneOf('solver_type', ['midpoint', 'heun'] as const, 'midpoint'),
    lower_order_final: reader.bool('lower_order_final', true),
    euler_at_final: reader.bool('euler_at_final', false),
    use_karras_sigmas: reader.bool('use_karras_sigmas', false),
    final_sigmas_type: reader.oneOf('final_sigmas_type', ['zero', 'sigma_min'] as const, 'zero'),
    lambda_min_clipped: reader.number('lambda_min_clipped', -Infinity, { allowInfinite: true }),
  };
  reader.finish();
  return config;
}

/** alpha_t = 1 / sqrt(sigma^2 + 1), sigma_t = sigma alpha_t, lambda = log(alpha_t) - log(sigma_t). */
function vpCoefficients(sigma: number): { alpha: number; sigmaT: number; lambda: number } {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  const sigmaT = sigma * alpha;
  return { alpha, sigmaT, lambda: Math.log(alpha) - Math.log(sigmaT) };
}

/** DPM-Solver++ 2M; keeps the previous x0 prediction between steps (reset() or setTimesteps() clears it). */
export class DpmSolverMultistepScheduler extends SchedulerBase {
  readonly className = 'DPMSolverMultistepScheduler';
  private scheduleSigmas = new Float32Array(0);
  /** x0 prediction of the previous step, and how many steps have run (diffusers' lower_order_nums, capped). */
  private previousX0: Float32Array | undefined;
  private lowerOrderCount = 0;

  constructor(override readonly config: DpmSolverConfig) {
    super(config);
  }

  override get sigmas(): Float32Array {
    return this.scheduleSigmas;
  }

  /** 1: the solver works on the variance-preserving sample directly. */
  get initNoiseSigma(): number {
    return 1;
  }

  /** Spacing over the (lambda-clipped) schedule; n + 1 points with the last dropped for linspace/leading. */
  private spacedTimesteps(spacing: TimestepSpacing, count: number): number[] {
    const c = this.config;
    // Timesteps whose lambda falls below lambda_min_clipped are cut off the top of the schedule.
    let clipped = 0;
    for (let t = c.num_train_timesteps - 1; t >= 0; t--) {
      if (vpCoefficients(this.schedule.sigmas[t]!).lambda < c.lambda_min_clipped) clipped++;
      else break;
    }
    const last = c.num_train_timesteps - clipped;
    switch (spacing) {
      case 'linspace':
        return Array.from(numpyLinspace(0, last - 1, count + 1), roundHalfEven)
          .reverse()
          .slice(0, count);
      case 'leading': {
        const ratio = Math.floor(last / (count + 1));
        const values: number[] = [];
        for (let i = count; i >= 1; i--) values.push(i * ratio + c.steps_offset);
        return values;
      }
      case 'trailing':
        return Array.from(numpyArange(last, 0, -c.num_train_timesteps / count), (v) => roundHalfEven(v) - 1);
    }
  }

  protected computeTimesteps(count: number): readonly number[] {
    const c = this.config;
    let timesteps = this.spacedTimesteps(c.timestep_spacing, count);
    let sigmas: number[];
    if (c.use_karras_sigmas) {
      const train = this.schedule.sigmas;
      sigmas = Array.from(karrasSigmas(train[0]!, train[train.length - 1]!, timesteps.length));
      timesteps = sigmas.map((s) => roundHalfEven(timestepForSigma(this.schedule, s)));
    } else {
      sigmas = timesteps.map((t) => sigmaAtTimestep(this.schedule, t));
    }
    const sigmaLast = c.final_sigmas_type === 'zero' ? 0 : this.schedule.sigmas[0]!;
    this.scheduleSigmas = Float32Array.from([...sigmas, sigmaLast]);
    return timesteps;
  }

  override reset(): void {
    super.reset();
    this.previousX0 = undefined;
    this.lowerOrderCount = 0;
  }

  /** Identity: the solver takes the VP sample as the UNet sees it. */
  scaleModelInput(sample: Latents, t: number): Latents {
    this.currentIndex(t);
    return sample;
  }

  /**
   * One DPM-Solver++ step from sigma_s0 = sigmas[i] to sigma_t = sigmas[i+1], with h = lambda_t - lambda_s0:
   * first order x_t = (sigma_t/sigma_s0) x - alpha_t (e^{-h} - 1) D0; second order (2M) adds, with
   * r0 = (lambda_s0 - lambda_s1) / h and D1 = (D0 - x0_prev) / r0, midpoint: -0.5 alpha_t (e^{-h} - 1) D1,
   * heun: + alpha_t ((e^{-h} - 1)/h + 1) D1. D0 = this step's x0 prediction. Deterministic: `noise` is ignored.
   */
  step(modelOutput: Latents, t: number, sample: Latents, _noise?: Latents): StepResult {
    checkSameShape(sample, modelOutput, 'sample', 'modelOutput');
    const c = this.config;
    const index = this.currentIndex(t);
    const steps = this.allTimesteps.length;
    const lowerOrderFinal =
      index === steps - 1 &&
      (c.euler_at_final || (c.lower_order_final && steps < 15) || c.final_sigmas_type === 'zero');
    const source = vpCoefficients(this.scheduleSigmas[index]!);
    const target = vpCoefficients(this.scheduleSigmas[index + 1]!);
    const vPrediction = c.prediction_type === 'v_prediction';
    const x0 = new Float32Array(sample.data.length);
    for (let i = 0; i < x0.length; i++) {
      const x = sample.data[i]!;
      const out = modelOutput.data[i]!;
      x0[i] = vPrediction ? source.alpha * x - source.sigmaT * out : (x - source.sigmaT * out) / source.alpha;
    }
    const h = target.lambda - source.lambda;
    const expm = Math.exp(-h) - 1; // diffusers' form; -1 exactly when sigma_t = 0 (h = +Infinity)
    const sampleCoefficient = target.sigmaT / source.sigmaT;
    const firstOrder =
      c.solver_order === 1 || this.lowerOrderCount < 1 || lowerOrderFinal || this.previousX0 === undefined;
    const prev = new Float32Array(sample.data.length);
    if (firstOrder) {
      for (let i = 0; i < prev.length; i++)
        prev[i] = sampleCoefficient * sample.data[i]! - target.alpha * expm * x0[i]!;
    } else {
      const previous = vpCoefficients(this.scheduleSigmas[index - 1]!);
      const r0 = (source.lambda - previous.lambda) / h;
      const last = this.previousX0!;
      for (let i = 0; i < prev.length; i++) {
        const d0 = x0[i]!;
        const d1 = (1 / r0) * (d0 - last[i]!);
        const base = sampleCoefficient * sample.data[i]! - target.alpha * expm * d0;
        prev[i] =
          c.solver_type === 'midpoint'
            ? base - 0.5 * (target.alpha * expm) * d1
            : base + target.alpha * (expm / h + 1) * d1;
      }
    }
    this.previousX0 = x0;
    if (this.lowerOrderCount < c.solver_order) this.lowerOrderCount++;
    this.advance(index);
    return { prevSample: float32(sample.shape, prev), predOriginalSample: float32(sample.shape, x0) };
  }

  /** x_t = alpha_t x0 + sigma_t noise with sigma = the schedule's sigma at t, t per batch element or shared. */
  addNoise(x0: Latents, noise: Latents, t: number | readonly number[]): Latents {
    checkSameShape(x0, noise, 'x0', 'noise');
    const coefficients = timestepsPerBatch(x0, t).map((ti) => vpCoefficients(this.sigmaAt({ t: ti })));
    return mixPerBatch(
      x0,
      noise,
      coefficients.map((k) => k.alpha),
      coefficients.map((k) => k.sigmaT),
    );
  }
}
