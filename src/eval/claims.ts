// The paper's claims made numerical on the benchmark (issue 11 acceptance; world.md "Benchmark cases"): each a mean
// difference between methods over paired cases with a 95% paired-bootstrap interval and a verdict.
//   a. the full method beats text-to-image on spatial fidelity;
//   b. at equal spatial fidelity it harmonizes better than SDEdit (SDEdit's sweep interpolated at its IoU);
//   c. textual inversion improves appearance fidelity at noise ≥ 0.8.
import { METRIC_INFO, type MetricId, type MetricValues } from './metrics.ts';
import { interpolate, meanAt, pairedBootstrap } from './paired-bootstrap.ts';

/** holds: the interval excludes 0 on the claimed side; fails: it excludes 0 on the other side; else not shown. */
export type Verdict = 'holds' | 'not shown' | 'fails';

/** One method's metrics on one case. */
export interface CaseMetrics {
  readonly index: number;
  readonly metrics: MetricValues;
}

/** By method id, its scored cases (any order; cases missing for some method are left out of that claim). */
export type ResultsByMethod = Readonly<Record<string, readonly CaseMetrics[]>>;

export interface Comparison {
  readonly metric: MetricId;
  readonly better: 'higher' | 'lower';
  /** Mean of the method minus mean of the baseline, over the paired cases (claim b: the interpolated SDEdit). */
  readonly difference: number;
  /** 95% paired-bootstrap interval of the difference. */
  readonly lo: number;
  readonly hi: number;
  /** Paired cases with a finite value for every method involved. */
  readonly n: number;
  readonly verdict: Verdict;
}

export const CLAIM_IDS = ['spatial-vs-txt2img', 'harmonization-vs-sdedit', 'inversion-appearance'] as const;
export type ClaimId = (typeof CLAIM_IDS)[number];

export interface Claim {
  readonly id: ClaimId;
  /** e.g. "collage-diffusion is better than txt2img on spatial fidelity". */
  readonly statement: string;
  readonly method: string;
  /** The baseline's method id, or for claim b the sweep's ids joined by ", ". */
  readonly baseline: string;
  /** The first comparison decides; the others are reported beside it. */
  readonly comparisons: readonly Comparison[];
  readonly verdict: Verdict;
  /** Extrapolation, dropped cases, and anything else a reader must know. */
  readonly notes: readonly string[];
}

/** A claim whose methods are not all in the run, and what to add. */
export interface SkippedClaim {
  readonly id: ClaimId;
  readonly reason: string;
}

export interface ClaimOptions {
  /** @default 2000 */ readonly resamples?: number;
  /** @default 0 */ readonly seed?: number;
}

const FULL_METHOD = 'collage-diffusion';
const TEXT_TO_IMAGE = 'txt2img';
const SDEDIT = 'sdedit';
/** Claim b needs a sweep of at least this many SDEdit strengths (issue 11 brief). */
export const MIN_SDEDIT_STRENGTHS = 3;
/** Below this many paired cases a percentile interval is too unreliable for a verdict: "not shown". */
export const MIN_CLAIM_CASES = 10;
/** Claim c is about high noise (the paper: inversion matters at s ≥ 0.8). */
export const INVERSION_MIN_STRENGTH = 0.8;

/** The verdict of an interval of `method − baseline` for a metric where `better` is the good direction. */
export function verdictOf(lo: number, hi: number, better: 'higher' | 'lower'): Verdict {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return 'not shown';
  const [good, bad] = better === 'higher' ? [lo > 0, hi < 0] : [hi < 0, lo > 0];
  return good ? 'holds' : bad ? 'fails' : 'not shown';
}

/**
 * The cases every method has, with a finite value of every metric, as columns: values[m][k][i] is method m's
 * metric k on the i-th shared case.
 */
function pairedColumns(
  results: ResultsByMethod,
  methods: readonly string[],
  metrics: readonly MetricId[],
): { n: number; columns: Float64Array[][] } {
  const byIndex = methods.map((m) => new Map((results[m] ?? []).map((r) => [r.index, r.metrics])));
  const indices = [...(byIndex[0]?.keys() ?? [])]
    .filter((index) =>
      byIndex.every((b) => metrics.every((k) => Number.isFinite(b.get(index)?.[k] ?? Number.NaN))),
    )
    .sort((a, b) => a - b);
  const columns = byIndex.map((b) =>
    metrics.map((k) => Float64Array.from(indices, (index) => b.get(index)![k])),
  );
  return { n: indices.length, columns };
}

function comparison(
  metric: MetricId,
  n: number,
  difference: (cases: Int32Array) => number,
  o: Required<ClaimOptions>,
): Comparison {
  const { better } = METRIC_INFO[metric];
  const e = pairedBootstrap(n, difference, o.resamples, o.seed);
  const verdict = n < MIN_CLAIM_CASES ? 'not shown' : verdictOf(e.lo, e.hi, better);
  return { metric, better, difference: e.value, lo: e.lo, hi: e.hi, n, verdict };
}

/** `method − baseline` on each metric, paired by case. */
function pairedClaim(
  id: ClaimId,
  statement: string,
  method: string,
  baseline: string,
  metrics: readonly MetricId[],
  results: ResultsByMethod,
  o: Required<ClaimOptions>,
): Claim {
  const comparisons = metrics.map((metric) => {
    const { n, columns } = pairedColumns(results, [method, baseline], [metric]);
    const [a, b] = [columns[0]![0]!, columns[1]![0]!];
    return comparison(metric, n, (cases) => meanAt(a, cases) - meanAt(b, cases), o);
  });
  return { id, statement, method, baseline, comparisons, verdict: comparisons[0]!.verdict, notes: [] };
}

/** The `sdedit@s` methods of the run, by strength. */
function strengthVariants(results: ResultsByMethod, base: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const id of Object.keys(results)) {
    const at = id.lastIndexOf('@');
    if (at > 0 && id.slice(0, at) === base) out.set(Number(id.slice(at + 1)), id);
  }
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/** On the given cases: the full method's IoU and value, and SDEdit's value interpolated at that IoU. */
function atEqualIou(columns: readonly (readonly Float64Array[])[], cases: Int32Array) {
  const [fullIou, fullValue] = columns[0]!.map((c) => meanAt(c, cases)) as [number, number];
  const sweep = columns
    .slice(1)
    .map(([iou, value]) => ({ x: meanAt(iou!, cases), y: meanAt(value!, cases) }));
  return { fullIou, fullValue, sweep, sdedit: interpolate(sweep, fullIou) };
}

/** Claim b: full method − SDEdit's harmonization interpolated (linearly in IoU) at the full method's IoU. */
function harmonizationClaim(
  results: ResultsByMethod,
  sweep: readonly string[],
  o: Required<ClaimOptions>,
): Claim {
  const notes: string[] = [];
  const comparisons = (['backgroundError', 'lightGainDeviation'] as const).map((metric) => {
    const { n, columns } = pairedColumns(results, [FULL_METHOD, ...sweep], ['iou', metric]);
    let extrapolated = 0;
    const c = comparison(
      metric,
      n,
      (cases) => {
        const e = atEqualIou(columns, cases);
        if (e.sdedit.extrapolated) extrapolated++;
        return e.fullValue - e.sdedit.y;
      },
      o,
    );
    if (n === 0) return c;
    const point = atEqualIou(
      columns,
      Int32Array.from({ length: n }, (_, i) => i),
    );
    if (metric === 'backgroundError') {
      const ious = point.sweep.map((p) => p.x);
      const range = `[${Math.min(...ious).toFixed(3)}, ${Math.max(...ious).toFixed(3)}]`;
      const where = `${FULL_METHOD}'s mean IoU ${point.fullIou.toFixed(3)} lies ${point.sdedit.extrapolated ? 'outside' : 'inside'} the SDEdit sweep's IoU range ${range}`;
      notes.push(
        point.sdedit.extrapolated
          ? `${where}: SDEdit's value is extrapolated along the nearest segment, so the claim is not shown`
          : where,
      );
    }
    const label = METRIC_INFO[metric].label;
    const points = point.sweep.map((p, k) => `${sweep[k]} (IoU ${p.x.toFixed(3)}, ${p.y.toFixed(3)})`);
    notes.push(
      `${label}: SDEdit sweep ${points.join(', ')}; at IoU ${point.fullIou.toFixed(3)}: ${point.sdedit.y.toFixed(3)} vs ${FULL_METHOD}'s ${point.fullValue.toFixed(3)}`,
    );
    if (metric === 'backgroundError') {
      // The statistic ran once on all cases, then once per resample.
      const share = (extrapolated - (point.sdedit.extrapolated ? 1 : 0)) / o.resamples;
      if (share > 0) notes.push(`${(100 * share).toFixed(1)}% of bootstrap resamples extrapolated`);
    }
    return point.sdedit.extrapolated ? { ...c, verdict: 'not shown' as const } : c;
  });
  return {
    id: 'harmonization-vs-sdedit',
    statement: `${FULL_METHOD} harmonizes better than SDEdit at equal spatial fidelity`,
    method: FULL_METHOD,
    baseline: sweep.join(', '),
    comparisons,
    verdict: comparisons[0]!.verdict,
    notes,
  };
}

/**
 * Evaluates every claim whose methods are in `results` (claims.ts header); lists the others with what they need.
 * @param results by method id (`collage-diffusion`, `txt2img`, `sdedit@s`, `cd-attention@s`, `cd-attention-inversion@s`)
 */
export function evaluateClaims(
  results: ResultsByMethod,
  options: ClaimOptions = {},
): { readonly claims: readonly Claim[]; readonly skipped: readonly SkippedClaim[] } {
  const o = { resamples: options.resamples ?? 2000, seed: options.seed ?? 0 };
  const has = (id: string): boolean => (results[id]?.length ?? 0) > 0;
  const claims: Claim[] = [];
  const skipped: SkippedClaim[] = [];

  if (has(FULL_METHOD) && has(TEXT_TO_IMAGE)) {
    claims.push(
      pairedClaim(
        'spatial-vs-txt2img',
        `${FULL_METHOD} is better than ${TEXT_TO_IMAGE} on spatial fidelity`,
        FULL_METHOD,
        TEXT_TO_IMAGE,
        ['iou', 'objectRecall'],
        results,
        o,
      ),
    );
  } else skipped.push({ id: 'spatial-vs-txt2img', reason: `needs ${FULL_METHOD} and ${TEXT_TO_IMAGE}` });

  const sweep = [...strengthVariants(results, SDEDIT).values()].filter(has);
  if (has(FULL_METHOD) && sweep.length >= MIN_SDEDIT_STRENGTHS)
    claims.push(harmonizationClaim(results, sweep, o));
  else
    skipped.push({
      id: 'harmonization-vs-sdedit',
      reason: `needs ${FULL_METHOD} and ${SDEDIT}@s at ≥ ${MIN_SDEDIT_STRENGTHS} strengths (has ${sweep.length})`,
    });

  const withInversion = strengthVariants(results, 'cd-attention-inversion');
  const without = strengthVariants(results, 'cd-attention');
  const strengths = [...withInversion.keys()].filter(
    (s) =>
      s >= INVERSION_MIN_STRENGTH && without.has(s) && has(withInversion.get(s)!) && has(without.get(s)!),
  );
  for (const s of strengths) {
    const [a, b] = [withInversion.get(s)!, without.get(s)!];
    claims.push(
      pairedClaim(
        'inversion-appearance',
        `textual inversion improves appearance fidelity at noise ${String(s)} (${a} vs ${b})`,
        a,
        b,
        ['pattern', 'chromaError'],
        results,
        o,
      ),
    );
  }
  for (const [k, claim] of claims.entries()) {
    const n = Math.min(...claim.comparisons.map((c) => c.n));
    if (n < MIN_CLAIM_CASES)
      claims[k] = {
        ...claim,
        notes: [
          ...claim.notes,
          `only ${n} paired cases (< ${MIN_CLAIM_CASES}): too few for a verdict, so not shown`,
        ],
      };
  }
  if (strengths.length === 0)
    skipped.push({
      id: 'inversion-appearance',
      reason: `needs cd-attention-inversion@s and cd-attention@s at the same s ≥ ${INVERSION_MIN_STRENGTH}`,
    });
  return { claims, skipped };
}
