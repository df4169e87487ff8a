// Reading diffusers' scheduler_config.json into typed, validated options (style.md "Schedulers": keys we do not use
// are ignored; a used key with an unsupported value is a ModelError). Spec: diffusers 0.27 scheduler constructors.
import { ModelError, type Problem } from '../errors.ts';
import {
  BETA_SCHEDULES,
  TIMESTEP_SPACINGS,
  type NoiseScheduleConfig,
  type TimestepSpacing,
} from './schedule.ts';

/** A scheduler_config.json object as parsed (io's parsePythonJson / SchedulerFolder.config), before validation. */
export type RawSchedulerConfig = Readonly<Record<string, unknown>>;

/** What the model was trained to predict: the noise (SD 1.x, SD 2 base) or v = alpha*eps - sigma*x0 (SD 2.x 768). */
export const PREDICTION_TYPES = ['epsilon', 'v_prediction'] as const;
export type PredictionType = (typeof PREDICTION_TYPES)[number];

/** The keys every scheduler reads (diffusers' names, verbatim). */
export interface CommonSchedulerConfig extends NoiseScheduleConfig {
  readonly prediction_type: PredictionType;
  readonly timestep_spacing: TimestepSpacing;
  readonly steps_offset: number;
}

/** Reads typed keys from a raw config with per-class defaults, collecting every problem before throwing once. */
export class ConfigReader {
  private readonly problems: Problem[] = [];

  /**
   * @param raw the parsed scheduler_config.json
   * @param where the file (or "<class> defaults"), used in every message
   */
  constructor(
    private readonly raw: RawSchedulerConfig,
    private readonly where: string,
  ) {}

  private has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  private problem(key: string, what: string, fix: string): void {
    this.problems.push({ what, where: `${this.where} → ${key}`, fix });
  }

  /** A finite number (an integer when `integer`), at least `min`; `fallback` when absent or null. */
  number(
    key: string,
    fallback: number,
    options: { integer?: boolean; min?: number; allowInfinite?: boolean } = {},
  ): number {
    if (!this.has(key)) return fallback;
    const value = this.raw[key];
    const finiteOk = options.allowInfinite === true ? !Number.isNaN(value) : Number.isFinite(value);
    if (typeof value !== 'number' || !finiteOk || (options.integer === true && !Number.isInteger(value))) {
      this.problem(
        key,
        `expected ${options.integer === true ? 'an integer' : 'a finite number'}, got ${JSON.stringify(value)}`,
        'fix the value in scheduler_config.json',
      );
      return fallback;
    }
    if (options.min !== undefined && value < options.min) {
      this.problem(
        key,
        `expected a value >= ${options.min}, got ${value}`,
        'fix the value in scheduler_config.json',
      );
      return fallback;
    }
    return value;
  }

  /** A boolean; `fallback` when absent or null. */
  bool(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const value = this.raw[key];
    if (typeof value !== 'boolean') {
      this.problem(
        key,
        `expected true or false, got ${JSON.stringify(value)}`,
        'fix the value in scheduler_config.json',
      );
      return fallback;
    }
    return value;
  }

  /** One of `values`; anything else is a problem naming the supported values. */
  oneOf<const T extends string>(key: string, values: readonly T[], fallback: T): T {
    if (!this.has(key)) return fallback;
    const value = this.raw[key];
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      this.problem(
        key,
        `unsupported value ${JSON.stringify(value)}`,
        `use one of ${values.map((v) => `"${v}"`).join(', ')}`,
      );
      return fallback;
    }
    return value as T;
  }

  /** Accepts only `supported` for a key whose other values we do not implement (absent/null = the default). */
  only(key: string, supported: unknown, why: string): void {
    if (!this.has(key)) return;
    const value = this.raw[key];
    if (value !== supported) {
      this.problem(
        key,
        `unsupported value ${JSON.stringify(value)} (${why})`,
        `set it to ${JSON.stringify(supported)} or choose another scheduler`,
      );
    }
  }

  /** Like `only`, but an absent or null key is a problem too (the class default is the unsupported value). */
  mustBe(key: string, supported: unknown, why: string): void {
    if (this.raw[key] !== supported) {
      const got = this.has(key) ? JSON.stringify(this.raw[key]) : 'absent';
      this.problem(
        key,
        `unsupported value ${got} (${why})`,
        `set it to ${JSON.stringify(supported)} or choose another scheduler`,
      );
    }
  }

  /** An optional list of finite numbers of a given length (trained_betas). */
  numberList(key: string, length: number): number[] | undefined {
    if (!this.has(key)) return undefined;
    const value = this.raw[key];
    if (
      !Array.isArray(value) ||
      value.length !== length ||
      !value.every((v) => typeof v === 'number' && Number.isFinite(v))
    ) {
      this.problem(
        key,
        `expected ${length} finite numbers`,
        'fix trained_betas or remove it to use beta_schedule',
      );
      return undefined;
    }
    return value as number[];
  }

  /** Reads the keys shared by every scheduler. `defaults` are the diffusers class's constructor defaults. */
  common(defaults: Partial<CommonSchedulerConfig> = {}): CommonSchedulerConfig {
    const num_train_timesteps = this.number('num_train_timesteps', defaults.num_train_timesteps ?? 1000, {
      integer: true,
      min: 2,
    });
    const config: CommonSchedulerConfig = {
      num_train_timesteps,
      beta_start: this.number('beta_start', defaults.beta_start ?? 0.0001, { min: 0 }),
      beta_end: this.number('beta_end', defaults.beta_end ?? 0.02, { min: 0 }),
      beta_schedule: this.oneOf('beta_schedule', BETA_SCHEDULES, defaults.beta_schedule ?? 'linear'),
      trained_betas: this.numberList('trained_betas', num_train_timesteps),
      prediction_type: this.oneOf('prediction_type', PREDICTION_TYPES, defaults.prediction_type ?? 'epsilon'),
      timestep_spacing: this.oneOf(
        'timestep_spacing',
        TIMESTEP_SPACINGS,
        defaults.timestep_spacing ?? 'linspace',
      ),
      steps_offset: this.number('steps_offset', defaults.steps_offset ?? 0, { integer: true, min: 0 }),
    };
    this.only('rescale_betas_zero_snr', false, 'zero-terminal-SNR rescaling is not implemented');
    return config;
  }

  /** Throws one ModelError listing every problem found so far. */
  finish(): void {
    if (this.problems.length > 0) throw new ModelError(this.problems);
  }
}
