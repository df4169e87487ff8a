// The benchmark runner (world.md "Benchmark cases"): builds cases from the evaluation stream, runs each method on
// each, scores the outputs, and keeps a few outputs for the report's image grids.
import { join } from 'node:path';
import { InputError, throwIfAborted } from '../errors.ts';
import type { ProgressCallback } from '../progress.ts';
import type { RgbImage } from '../world/index.ts';
import { bootstrapMean, type Estimate } from './bootstrap.ts';
import { collageDocument, makeCase, type BenchmarkCase } from './case.ts';
import { CASE_FILES, writeCaseFiles } from './files.ts';
import { computeMetrics, METRIC_IDS, type MetricId, type MetricValues } from './metrics.ts';
import { methodInput, type EvalMethod } from './methods.ts';

export interface RunOptions {
  /** Number of cases (world.md asks for ≥ 100 in a reported run). @default 100 */
  readonly cases?: number;
  /** Index of the first case in the 'eval' seed stream. @default 0 */
  readonly firstIndex?: number;
  /** Canvas side, px; a multiple of 8, ≥ 64 (collage-format.md). @default 128 */
  readonly sizePx?: number;
  /** Settings handed to every method (`--set key=value`). @default {} */
  readonly settings?: Readonly<Record<string, string>>;
  /** How many cases keep their outputs for image grids. @default 6 */
  readonly keepOutputs?: number;
  /** When set, each case is written there (`case-<index>/scene.collage.json` + PNGs) before the methods run. */
  readonly writeCasesTo?: string;
  readonly onProgress?: ProgressCallback;
  readonly signal?: AbortSignal;
}

export const DEFAULT_RUN_OPTIONS = Object.freeze({
  cases: 100,
  firstIndex: 0,
  sizePx: 128,
  settings: {},
  keepOutputs: 6,
});

type ResolvedRunOptions = typeof DEFAULT_RUN_OPTIONS & Omit<RunOptions, keyof typeof DEFAULT_RUN_OPTIONS>;

/** Merges defaults and checks every option at once. @throws InputError listing each bad option */
export function resolveRunOptions(options: RunOptions): ResolvedRunOptions {
  const o = { ...DEFAULT_RUN_OPTIONS, ...options } as ResolvedRunOptions;
  const problems = [];
  if (!Number.isInteger(o.cases) || o.cases < 1)
    problems.push({
      what: `cases must be a positive integer, received ${o.cases}`,
      where: '--cases',
      fix: 'use e.g. 100',
    });
  if (!Number.isSafeInteger(o.firstIndex) || o.firstIndex < 0)
    problems.push({
      what: `first index must be a non-negative integer, received ${o.firstIndex}`,
      where: '--first',
      fix: 'use 0',
    });
  if (!Number.isInteger(o.sizePx) || o.sizePx < 64 || o.sizePx % 8 !== 0) {
    problems.push({
      what: `size ${o.sizePx} is not a multiple of 8 of at least 64`,
      where: '--size',
      fix: 'use 128 (the embedded model) or 512',
    });
  }
  if (problems.length > 0) throw new InputError(problems);
  return o;
}

/** One case whose outputs were kept. */
export interface KeptCase {
  readonly case: BenchmarkCase;
  /** By method id: [H, W, 3]. */
  readonly outputs: Readonly<Record<string, RgbImage>>;
}

export interface BenchmarkRun {
  readonly sizePx: number;
  readonly firstIndex: number;
  readonly methods: readonly { readonly id: string; readonly description: string }[];
  readonly cases: readonly { readonly index: number; readonly text: string }[];
  /** By method id: the metrics of each case, in case order. */
  readonly values: Readonly<Record<string, readonly MetricValues[]>>;
  readonly kept: readonly KeptCase[];
}

function checkOutput(method: EvalMethod, c: BenchmarkCase, image: RgbImage): void {
  if (
    image.width !== c.widthPx ||
    image.height !== c.heightPx ||
    image.data.length !== c.widthPx * c.heightPx * 3
  ) {
    throw new InputError({
      what: `method "${method.id}" returned a ${image.width}×${image.height} image (${image.data.length} values) for a ${c.widthPx}×${c.heightPx} case`,
      where: `case ${c.index}`,
      fix: 'return an RGB image of the case size, HWC floats in [0, 1]',
    });
  }
}

/**
 * Runs methods on benchmark cases and scores every output.
 * @throws InputError for bad options or a method returning the wrong size; CancelledError when `signal` fires
 */
export async function runBenchmark(
  methods: readonly EvalMethod[],
  options: RunOptions = {},
): Promise<BenchmarkRun> {
  const o = resolveRunOptions(options);
  const values: Record<string, MetricValues[]> = Object.fromEntries(methods.map((m) => [m.id, []]));
  const cases: { index: number; text: string }[] = [];
  const kept: KeptCase[] = [];
  for (let i = 0; i < o.cases; i++) {
    throwIfAborted(o.signal, 'evaluation');
    const index = o.firstIndex + i;
    const c = makeCase(index, o.sizePx);
    let written: { document: ReturnType<typeof collageDocument>; path: string } | undefined;
    if (o.writeCasesTo !== undefined)
      written = await writeCaseFiles(join(o.writeCasesTo, `case-${String(index).padStart(4, '0')}`), c);
    const document = written?.document ?? collageDocument(c, CASE_FILES.background, CASE_FILES.layer);
    const input = methodInput(c, document, written?.path);
    const outputs: Record<string, RgbImage> = {};
    for (const method of methods) {
      const context = {
        settings: o.settings,
        ...(o.signal ? { signal: o.signal } : {}),
        ...(method.oracle ? { groundTruth: c.groundTruth } : {}),
      };
      const output = await method.generate(input, context);
      checkOutput(method, c, output);
      values[method.id]!.push(computeMetrics(output, c));
      outputs[method.id] = output;
    }
    cases.push({ index, text: c.text });
    if (kept.length < o.keepOutputs) kept.push({ case: c, outputs });
    o.onProgress?.({ stage: 'eval', step: i + 1, total: o.cases, detail: `case ${index}` });
  }
  return {
    sizePx: o.sizePx,
    firstIndex: o.firstIndex,
    methods: methods.map((m) => ({ id: m.id, description: m.description })),
    cases,
    values,
    kept,
  };
}

/** Mean and 95% bootstrap interval of every metric of every method. */
export function summarizeRun(
  run: BenchmarkRun,
  resamples = 2000,
): Readonly<Record<string, Readonly<Record<MetricId, Estimate>>>> {
  return Object.fromEntries(
    run.methods.map((m) => {
      const rows = run.values[m.id] ?? [];
      const estimates = Object.fromEntries(
        METRIC_IDS.map((id) => [
          id,
          bootstrapMean(
            rows.map((r) => r[id]),
            resamples,
          ),
        ]),
      );
      return [m.id, estimates as Record<MetricId, Estimate>];
    }),
  );
}
