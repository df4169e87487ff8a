// The noise-schedule maths every scheduler shares (style.md "Schedulers"): betas, alphas_cumprod, training sigmas,
// timestep spacing, Karras sigmas and timestep <-> sigma conversion, with diffusers 0.27 numerics (numpy/torch rules).
import { BugError } from '../errors.ts';

/** diffusers `beta_schedule` values we implement. */
export const BETA_SCHEDULES = ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const;
export type BetaSchedule = (typeof BETA_SCHEDULES)[number];

/** diffusers `timestep_spacing` values (Table 2 of "Common Diffusion Noise Schedules and Sample Steps are Flawed"). */
export const TIMESTEP_SPACINGS = ['leading', 'linspace', 'trailing'] as const;
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

/** The fields of scheduler_config.json that define the training noise schedule (diffusers' key names). */
export interface NoiseScheduleConfig {
  readonly num_train_timesteps: number;
  readonly beta_start: number;
  readonly beta_end: number;
  readonly beta_schedule: BetaSchedule;
  /** Explicit betas [num_train_timesteps]; overrides beta_start/beta_end/beta_schedule when given. */
  readonly trained_betas?: readonly number[] | undefined;
}

/**
 * The training noise schedule, float32 like diffusers' torch tensors. Index = training timestep t in [0, N).
 * `sigmas[t] = sqrt((1 - alphasCumprod[t]) / alphasCumprod[t])` is the noise std in the variance-exploding form
 * x_sigma = x0 + sigma * eps, i.e. the VP sample divided by sqrt(alphasCumprod[t]).
 */
export interface NoiseSchedule {
  readonly numTrainTimesteps: number;
  /** [N] beta_t */
  readonly betas: Float32Array;
  /** [N] alpha-bar_t = prod_{s<=t} (1 - beta_s) */
  readonly alphasCumprod: Float32Array;
  /** [N] training sigmas, ascending in t */
  readonly sigmas: Float32Array;
  /** [N] natural log of `sigmas` (float32, as numpy computes it from the float32 sigmas) */
  readonly logSigmas: Float32Array;
}

/**
 * torch.linspace(start, end, steps, dtype=float32) on CPU: float32 arithmetic, the first half counted up from
 * `start`, the second half down from `end` (so both ends are exact).
 */
export function torchLinspaceFloat32(start: number, end: number, steps: number): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const s = f(start);
  const e = f(end);
  const step = f(f(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++)
    out[i] = i < halfway ? f(s + f(step * i)) : f(e - f(step * (steps - i - 1)));
  return out;
}

/** numpy.linspace(start, stop, num) in float64: start + i * ((stop - start) / (num - 1)), last value = stop. */
export function numpyLinspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/**
 * numpy.arange(start, stop, step) for float arguments: length ceil((stop - start) / step), values start + i * d
 * with d = (start + step) - start, exactly as numpy fills it.
 */
export function numpyArange(start: number, stop: number, step: number): Float64Array {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Float64Array(length);
  const delta = start + step - start;
  for (let i = 0; i < length; i++) out[i] = start + i * delta;
  return out;
}

/** numpy.round / torch.round: round half to even (np.round(0.5) = 0, np.round(499.5) = 500). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** diffusers betas_for_alpha_bar (cosine, max_beta 0.999): beta_i = min(1 - abar((i+1)/N) / abar(i/N), 0.999). */
function cosineBetas(n: number): Float32Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const betas = new Float32Array(n);
  for (let i = 0; i < n; i++) betas[i] = Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999);
  return betas;
}

/** The betas of a config, float32 as diffusers builds them. */
export function betasFor(config: NoiseScheduleConfig): Float32Array {
  const n = config.num_train_timesteps;
  if (config.trained_betas !== undefined) return Float32Array.from(config.trained_betas);
  switch (config.beta_schedule) {
    case 'linear':
      return torchLinspaceFloat32(config.beta_start, config.beta_end, n);
    case 'scaled_linear': {
      // "very specific to the latent diffusion model": linear in sqrt(beta), then squared.
      const roots = torchLinspaceFloat32(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), n);
      return roots.map((r) => Math.fround(r * r));
    }
    case 'squaredcos_cap_v2':
      return cosineBetas(n);
  }
}

/**
 * Builds the training noise schedule. alphas = 1 - betas in float32; the cumulative product is accumulated in
 * float64 and rounded per element (torch's CPU cumprod accumulates float32 in double). Matches diffusers'
 * alphas_cumprod to 2.5e-7 relative (test/sampling/schedule.test.ts).
 */
export function noiseSchedule(config: NoiseScheduleConfig): NoiseSchedule {
  const betas = betasFor(config);
  const n = betas.length;
  const alphasCumprod = new Float32Array(n);
  const sigmas = new Float32Array(n);
  const logSigmas = new Float32Array(n);
  let product = 1;
  for (let t = 0; t < n; t++) {
    product *= Math.fround(1 - betas[t]!);
    const abar = Math.fround(product);
    alphasCumprod[t] = abar;
    sigmas[t] = Math.sqrt(Math.fround(Math.fround(1 - abar) / abar));
    logSigmas[t] = Math.log(sigmas[t]!);
  }
  return { numTrainTimesteps: n, betas, alphasCumprod, sigmas, logSigmas };
}

/**
 * The inference timesteps of DDIM, PNDM and Euler for a spacing, in descending order, before any dtype cast.
 * leading: (i * (N div n)) + steps_offset; linspace: linspace(0, N - 1, n) (rounded half-to-even when
 * `roundLinspace`, as DDIM/PNDM do; Euler keeps the fractions); trailing: round(arange(N, 0, -N/n)) - 1.
 * @param count inference steps n, 1 <= n <= N (callers validate)
 */
export function spacedTimesteps(
  spacing: TimestepSpacing,
  count: number,
  numTrainTimesteps: number,
  stepsOffset: number,
  roundLinspace: boolean,
): number[] {
  switch (spacing) {
    case 'linspace': {
      const values = Array.from(numpyLinspace(0, numTrainTimesteps - 1, count));
      return (roundLinspace ? values.map(roundHalfEven) : values).reverse();
    }
    case 'leading': {
      const ratio = Math.floor(numTrainTimesteps / count);
      const values: number[] = [];
      for (let i = count - 1; i >= 0; i--) values.push(i * ratio + stepsOffset);
      return values;
    }
    case 'trailing': {
      const values = numpyArange(numTrainTimesteps, 0, -numTrainTimesteps / count);
      return Array.from(values, (v) => roundHalfEven(v) - 1);
    }
  }
}

/**
 * np.interp(t, arange(N), sigmas): the training sigma at a (possibly fractional) timestep, clamped to the ends.
 * @param t training timestep in [0, N)
 */
export function sigmaAtTimestep(schedule: NoiseSchedule, t: number): number {
  const sigmas = schedule.sigmas;
  const last = sigmas.length - 1;
  if (!(t > 0)) return sigmas[0]!;
  if (t >= last) return sigmas[last]!;
  const low = Math.floor(t);
  const w = t - low;
  const a = sigmas[low]!;
  const b = sigmas[low + 1]!;
  return w === 0 ? a : a + (b - a) * w;
}

/**
 * diffusers `_sigma_to_t`: the fractional training timestep whose sigma is `sigma`, interpolating linearly in
 * log-sigma between the two neighbouring training timesteps (the inverse of sigmaAtTimestep up to the
 * interpolation space). Sigmas below the smallest training sigma give 0, above the largest N - 1.
 */
export function timestepForSigma(schedule: NoiseSchedule, sigma: number): number {
  const logSigmas = schedule.logSigmas;
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // low = last index with logSigmas[low] <= logSigma (0 if none), clipped to N - 2.
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma - logSigmas[i]! >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lo = logSigmas[low]!;
  const hi = logSigmas[low + 1]!;
  const w = Math.min(Math.max((lo - logSigma) / (lo - hi), 0), 1);
  return (1 - w) * low + w * (low + 1);
}

/**
 * Karras et al. (2022) eq. 5 sigmas: (max^(1/rho) + ramp * (min^(1/rho) - max^(1/rho)))^rho, ramp = linspace(0, 1, n).
 * @returns [n] descending from sigmaMax to sigmaMin (float64)
 */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, count: number, rho = 7): Float64Array {
  if (!(sigmaMin > 0 && sigmaMax >= sigmaMin)) {
    throw new BugError(`karrasSigmas needs 0 < sigmaMin <= sigmaMax, got ${sigmaMin}, ${sigmaMax}`);
  }
  const ramp = numpyLinspace(0, 1, count);
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return ramp.map((r) => (maxInv + r * (minInv - maxInv)) ** rho);
}

/** alpha-bar at a (possibly fractional) timestep, via its sigma: 1 / (1 + sigma^2). */
export function alphaCumprodAtTimestep(schedule: NoiseSchedule, t: number): number {
  if (Number.isInteger(t) && t >= 0 && t < schedule.numTrainTimesteps) return schedule.alphasCumprod[t]!;
  const sigma = sigmaAtTimestep(schedule, t);
  return 1 / (1 + sigma * sigma);
}
