// A benchmark run as plain data (what runner.ts scores and run-folder.ts reads back from disk) and its summary:
// mean and 95% bootstrap interval of every metric of every method.
import type { RgbImage } from '../world/index.ts';
import { bootstrapMean, type Estimate } from './bootstrap.ts';
import { METRIC_IDS, type MetricId, type MetricValues } from './metrics.ts';
import type { RecordedSettings } from './methods.ts';

/** One method's score on one case. */
export interface MethodResult {
  readonly index: number;
  readonly metrics: MetricValues;
  /** Wall time of the method on the case, s. */
  readonly seconds: number;
}

/** One case whose outputs were kept for the image grid. */
export interface KeptCase {
  readonly index: number;
  readonly text: string;
  /** [H, W, 3] the naive collage. */
  readonly collage: RgbImage;
  /** [H, W, 3] render(S). */
  readonly groundTruth: RgbImage;
  /** By method id: [H, W, 3]; a method missing here leaves its grid cell white. */
  readonly outputs: Readonly<Record<string, RgbImage>>;
}

export interface BenchmarkRun {
  readonly sizePx: number;
  readonly methods: readonly { readonly id: string; readonly description: string }[];
  /** Every case with at least one result, by index. */
  readonly cases: readonly { readonly index: number; readonly text: string }[];
  /** By method id: its scored cases (methods may cover different cases while shards are running). */
  readonly results: Readonly<Record<string, readonly MethodResult[]>>;
  /** By method id: the settings its results were made with. */
  readonly settings: Readonly<Record<string, RecordedSettings>>;
  readonly kept: readonly KeptCase[];
  /** Lines of cases.jsonl that were not results and were skipped (their pairs run again). @default none */
  readonly damagedLines?: readonly number[];
}

/** Summary by method id then metric. */
export type RunSummary = Readonly<Record<string, Readonly<Record<MetricId, Estimate>>>>;

/** Mean and 95% bootstrap interval of every metric of every method. */
export function summarizeRun(run: BenchmarkRun, resamples = 2000): RunSummary {
  return Object.fromEntries(
    run.methods.map((m) => {
      const rows = run.results[m.id] ?? [];
      const estimates = Object.fromEntries(
        METRIC_IDS.map((id) => [
          id,
          bootstrapMean(
            rows.map((r) => r.metrics[id]),
            resamples,
          ),
        ]),
      );
      return [m.id, estimates as Record<MetricId, Estimate>];
    }),
  );
}
