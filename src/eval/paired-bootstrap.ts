// Paired percentile bootstrap (claims.ts): resample the cases, compute one statistic of every method on the same
// resample, so case difficulty cancels out of a difference.
import { auxiliaryRng } from '../world/index.ts';

/** Purpose word of the claims' auxiliary generator (world/rng.ts): apart from bootstrap.ts's. */
const PAIRED_BOOTSTRAP_PURPOSE = 0xb008;

export interface PairedEstimate {
  /** The statistic on the cases as they are. */
  readonly value: number;
  /** 2.5th percentile of the statistic over resamples (non-finite resample values left out). */
  readonly lo: number;
  /** 97.5th percentile. */
  readonly hi: number;
  /** Resamples whose statistic was finite. */
  readonly finite: number;
}

/**
 * The statistic on all `n` cases and its 95% percentile interval over `resamples` resamples of the cases (drawn
 * with replacement, seeded: the same seed gives the same interval).
 * @param statistic receives case positions in [0, n) (a resample repeats some) and returns one number
 * @param resamples @default 2000
 * @param seed @default 0
 */
export function pairedBootstrap(
  n: number,
  statistic: (cases: Int32Array) => number,
  resamples = 2000,
  seed = 0,
): PairedEstimate {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const value = n === 0 ? Number.NaN : statistic(all);
  if (n === 0) return { value, lo: Number.NaN, hi: Number.NaN, finite: 0 };
  const rng = auxiliaryRng(seed, PAIRED_BOOTSTRAP_PURPOSE);
  const draws = new Int32Array(n);
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) draws[i] = rng.int(n);
    const s = statistic(draws);
    if (Number.isFinite(s)) stats.push(s);
  }
  if (stats.length === 0) return { value, lo: Number.NaN, hi: Number.NaN, finite: 0 };
  stats.sort((a, b) => a - b);
  const at = (q: number): number =>
    stats[Math.min(stats.length - 1, Math.max(0, Math.round(q * (stats.length - 1))))]!;
  return { value, lo: at(0.025), hi: at(0.975), finite: stats.length };
}

/** Mean of `values` at the given positions. */
export function meanAt(values: Float64Array, cases: Int32Array): number {
  let s = 0;
  for (let i = 0; i < cases.length; i++) s += values[cases[i]!]!;
  return s / cases.length;
}

/**
 * Piecewise-linear y(x) through points (sorted here by x; points of equal x averaged), extended beyond the first and
 * last point along the end segments.
 * @returns y at x, whether x lay outside [min x, max x], NaN when fewer than two distinct x
 */
export function interpolate(
  points: readonly { readonly x: number; readonly y: number }[],
  x: number,
): { readonly y: number; readonly extrapolated: boolean } {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const merged: { x: number; y: number; k: number }[] = [];
  for (const p of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.x === p.x) {
      last.y = (last.y * last.k + p.y) / (last.k + 1);
      last.k++;
    } else merged.push({ x: p.x, y: p.y, k: 1 });
  }
  if (merged.length < 2 || !Number.isFinite(x)) return { y: Number.NaN, extrapolated: false };
  const first = merged[0]!;
  const last = merged[merged.length - 1]!;
  const extrapolated = x < first.x || x > last.x;
  let j = 0;
  while (j < merged.length - 2 && x > merged[j + 1]!.x) j++;
  const a = merged[j]!;
  const b = merged[j + 1]!;
  return { y: a.y + ((x - a.x) * (b.y - a.y)) / (b.x - a.x), extrapolated };
}
