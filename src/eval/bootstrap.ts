// Mean and 95% percentile-bootstrap interval of per-case values (world.md: "mean and 95% bootstrap interval").
import { auxiliaryRng } from '../world/index.ts';

export interface Estimate {
  readonly mean: number;
  /** 2.5th percentile of the bootstrap means. */
  readonly lo: number;
  /** 97.5th percentile of the bootstrap means. */
  readonly hi: number;
  /** Values used (non-finite values are left out). */
  readonly n: number;
}

/** Purpose word of the bootstrap's auxiliary generator (world/rng.ts): never a scene stream. */
const BOOTSTRAP_PURPOSE = 0xb007;

/**
 * Mean of `values` and its 95% interval from `resamples` bootstrap resamples (percentile method), seeded, so a
 * report is reproducible. NaN values (a metric undefined for a case) are left out; with none left, all NaN.
 * @param resamples @default 2000
 * @param seed @default 0
 */
export function bootstrapMean(values: readonly number[], resamples = 2000, seed = 0): Estimate {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: Number.NaN, lo: Number.NaN, hi: Number.NaN, n: 0 };
  const mean = xs.reduce((s, v) => s + v, 0) / n;
  const rng = auxiliaryRng(seed, BOOTSTRAP_PURPOSE);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[rng.int(n)]!;
    means[r] = s / n;
  }
  means.sort();
  const at = (q: number): number =>
    means[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))]!;
  return { mean, lo: at(0.025), hi: at(0.975), n };
}
