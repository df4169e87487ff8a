// The tables of scripts/inversion-curve.ts: per init, the held-out loss against steps (reduction factor and distance to
// the last step count), the two inits side by side, the smallest step count near the last one, and every layer.
import type { InversionInit } from '../src/method/index.ts';

/** One layer's held-out losses from one init, at each measured step count. */
export interface LayerCurve {
  readonly layer: string;
  readonly text: string;
  readonly init: InversionInit;
  /** Mean masked loss over the evaluation set, one per step count. */
  readonly losses: readonly number[];
}

export interface InitSummary {
  readonly init: InversionInit;
  /** Per step count: mean loss over layers. */
  readonly meanLoss: number[];
  /** Per step count: geometric mean over layers of L(0) / L(N), the reduction factor. */
  readonly factor: number[];
  /** Per step count: geometric mean over layers of L(N) / L(last). */
  readonly toLast: number[];
  /** Per step count: mean over layers of (L(0) − L(N)) / (L(0) − L(last)), the share of the last reduction reached. */
  readonly shareOfReduction: number[];
  /** Smallest step count with toLast ≤ 1.05. */
  readonly stepsWithin5Percent: number;
  /** Smallest step count with shareOfReduction ≥ 0.95. */
  readonly stepsTo95PercentOfReduction: number;
}

const geoMean = (xs: readonly number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

function initSummary(init: InversionInit, curves: readonly LayerCurve[], at: readonly number[]): InitSummary {
  const last = at.length - 1;
  const per = (f: (l: readonly number[], k: number) => number): number[] => at.map((_, k) => mean(curves.map((c) => f(c.losses, k))));
  const geo = (f: (l: readonly number[], k: number) => number): number[] => at.map((_, k) => geoMean(curves.map((c) => f(c.losses, k))));
  const toLast = geo((l, k) => l[k]! / l[last]!);
  const share = per((l, k) => (l[0]! - l[k]!) / (l[0]! - l[last]!));
  return {
    init,
    meanLoss: per((l, k) => l[k]!),
    factor: geo((l, k) => l[0]! / l[k]!),
    toLast,
    shareOfReduction: share,
    stepsWithin5Percent: at[toLast.findIndex((r) => r <= 1.05)]!,
    stepsTo95PercentOfReduction: at[share.findIndex((s) => s >= 0.95)]!,
  };
}

/**
 * The markdown report and its numbers.
 * @param at the step counts the losses were measured at, ascending
 */
export function summarize(curves: readonly LayerCurve[], at: readonly number[], settings: Readonly<Record<string, unknown>>): { markdown: string; summary: { inits: InitSummary[]; initRatio?: { aOverHeadNoun: number[]; headNounLower: number[]; layers: number } } } {
  const inits = [...new Set(curves.map((c) => c.init))];
  const summaries = inits.map((init) => initSummary(init, curves.filter((c) => c.init === init), at));
  const f = (x: number, d = 4): string => x.toFixed(d);
  const lines: string[] = [`Held-out masked loss, ${JSON.stringify(settings)}`, ''];
  lines.push(`| steps | ${summaries.map((s) => `${s.init}: mean loss | ${s.init}: L0/L | ${s.init}: L/L${at[at.length - 1]} | ${s.init}: share of reduction`).join(' | ')} |`);
  lines.push(`|---:|${summaries.map(() => '---:|---:|---:|---:').join('|')}|`);
  at.forEach((n, k) => lines.push(`| ${n} | ${summaries.map((s) => `${s.meanLoss[k]!.toExponential(4)} | ${f(s.factor[k]!)} | ${f(s.toLast[k]!)} | ${f(s.shareOfReduction[k]!, 3)}`).join(' | ')} |`));
  lines.push('', ...summaries.map((s) => `- ${s.init}: within 5 % of the ${at[at.length - 1]}-step loss from ${s.stepsWithin5Percent} steps; 95 % of its reduction from ${s.stepsTo95PercentOfReduction} steps`));
  let initRatio: { aOverHeadNoun: number[]; headNounLower: number[]; layers: number } | undefined;
  const a = curves.filter((c) => c.init === 'a');
  const noun = curves.filter((c) => c.init === 'head-noun');
  if (a.length > 0 && a.length === noun.length) {
    // Same layers in the same order: the ratio compares the two inits on common layers and evaluation pairs.
    const aOverHeadNoun = at.map((_, k) => geoMean(a.map((c, i) => c.losses[k]! / noun[i]!.losses[k]!)));
    const headNounLower = at.map((_, k) => a.filter((c, i) => noun[i]!.losses[k]! < c.losses[k]!).length);
    initRatio = { aOverHeadNoun, headNounLower, layers: a.length };
    lines.push('', '| steps | L(a) / L(head-noun), geometric mean | layers where head-noun is lower |', '|---:|---:|---:|');
    at.forEach((n, k) => lines.push(`| ${n} | ${f(aOverHeadNoun[k]!)} | ${headNounLower[k]} / ${a.length} |`));
  }
  const shown = [0, at.indexOf(100), at.length - 1].filter((k, i, all) => k >= 0 && all.indexOf(k) === i);
  lines.push('', `| layer | text | init | ${shown.map((k) => `L${at[k]}`).join(' | ')} | L0/L${at[shown[shown.length - 1]!]} |`, `|---|---|---|${shown.map(() => '---:').join('|')}|---:|`);
  for (const c of curves) lines.push(`| ${c.layer} | ${c.text} | ${c.init} | ${shown.map((k) => c.losses[k]!.toExponential(4)).join(' | ')} | ${f(c.losses[0]! / c.losses[shown[shown.length - 1]!]!)} |`);
  return { markdown: `${lines.join('\n')}\n`, summary: { inits: summaries, ...(initRatio ? { initRatio } : {}) } };
}
