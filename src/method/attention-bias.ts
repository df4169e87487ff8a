// Cross-attention masking (method.md §4): per step, the bias scale f(σ) and the per-resolution coefficient maps
// A[p, j] = w⁺·m(p) − w⁻·(1 − m(p)) (computed once by the collage plan) that every cross-attention layer of the
// UNet adds as f(σ)·M_j·A[p, j] to the logits of the conditional half.
//
// Symbols: `sigma` = σ of the CURRENT step, `biasScale` = f(σ), `coefficients` = A per attention resolution.
import { InputError } from '../errors.ts';
import type { CollagePlan } from '../collage/index.ts';

export const BIAS_SCHEDULES = ['log-log', 'log'] as const;
/** 'log-log': f(σ) = ln(ln(σ + 1.01) + 1) (default); 'log': f(σ) = ln(σ + 1.01) (eDiff-I "paint with words"). */
export type BiasSchedule = (typeof BIAS_SCHEDULES)[number];

/**
 * f(σ): how strongly the masks pull at noise level σ (strong early, ~0 at the end).
 * Differs from the official code: it indexes the full schedule's sigmas with the truncated loop index when
 * strength < 1; we take the current step's sigma, because the bias must follow the noise actually present.
 */
export function biasScale(sigma: number, schedule: BiasSchedule = 'log-log'): number {
  if (!Number.isFinite(sigma) || sigma < 0) {
    throw new InputError({ what: `sigma must be a finite number ≥ 0, got ${sigma}`, where: 'attention bias', fix: 'pass the current step sigma' });
  }
  switch (schedule) {
    case 'log-log':
      return Math.log(Math.log(sigma + 1.01) + 1);
    case 'log':
      return Math.log(sigma + 1.01);
  }
}

/** The bias a UNet step needs: one coefficient map per attention resolution and the scale for this step. */
export interface AttentionBiasFeed {
  /** A [HW, 77] per attention resolution (query count HW), finest first. */
  readonly coefficients: ReadonlyMap<number, Float32Array>;
  /** f(σ) for this step. */
  readonly biasScale: number;
}

/**
 * The bias of one step from a planned collage.
 * @returns undefined when the plan has no token spans (no tokenizer) or no layer has a non-zero weight
 */
export function attentionBiasFeed(plan: CollagePlan, sigma: number, schedule: BiasSchedule = 'log-log'): AttentionBiasFeed | undefined {
  const maps = plan.attentionCoefficients;
  if (maps === undefined) return undefined;
  if (!plan.layers.some((l) => l.attention.positive !== 0 || l.attention.negative !== 0)) return undefined;
  const coefficients = new Map<number, Float32Array>();
  plan.attentionResolutions.forEach((r, i) => coefficients.set(r.width * r.height, maps[i]!));
  return { coefficients, biasScale: biasScale(sigma, schedule) };
}
