// The benchmark runner (world.md "Benchmark cases"): builds cases from the evaluation stream, runs each method on
// each, scores the outputs, and keeps a few outputs for the report's image grids. With `outDir` it is resumable and
// shardable: each scored (case, method) is appended to `<outDir>/cases.jsonl` (results-file.ts) as it finishes,
// pairs already there are skipped, and kept outputs are saved as PNGs (run-folder.ts reads it all back).
import { join } from 'node:path';
import { InputError, throwIfAborted } from '../errors.ts';
import type { ProgressCallback } from '../progress.ts';
import type { RgbImage } from '../world/index.ts';
import { collageDocument, makeCase, type BenchmarkCase } from './case.ts';
import { CASE_FILES, writeCaseFiles } from './files.ts';
import { computeMetrics } from './metrics.ts';
import {
  methodInput,
  type EvalMethod,
  type MethodContext,
  type MethodInput,
  type RecordedSettings,
} from './methods.ts';
import { appendCaseResult, type CaseResult } from './results-file.ts';
import { pairsDone, writeKeptOutputs } from './run-folder.ts';
import type { BenchmarkRun, KeptCase, MethodResult } from './run.ts';

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
  /**
   * Run folder: results appended to `cases.jsonl`, (case, method) pairs already there skipped (their recorded
   * settings must match), the first `keepOutputs` cases' outputs saved under `outputs/`.
   */
  readonly outDir?: string;
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

/** The context a method runs in on a case. */
function contextOf(method: EvalMethod, c: BenchmarkCase, o: ResolvedRunOptions): MethodContext {
  return {
    settings: o.settings,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(method.oracle ? { groundTruth: c.groundTruth } : {}),
  };
}

/** Each method's recorded settings (EvalMethod.recordedSettings, else the whole `--set` map). */
async function recordedSettingsOf(
  methods: readonly EvalMethod[],
  o: ResolvedRunOptions,
): Promise<Map<string, RecordedSettings>> {
  const out = new Map<string, RecordedSettings>();
  for (const m of methods)
    out.set(m.id, m.recordedSettings ? await m.recordedSettings({ settings: o.settings }) : o.settings);
  return out;
}

/**
 * Runs `methods` on one case and scores each output; with `outDir`, appends each result as it finishes (after its
 * PNG when the case is kept).
 */
async function runCase(
  c: BenchmarkCase,
  input: MethodInput,
  methods: readonly EvalMethod[],
  keepOutputs: boolean,
  recorded: ReadonlyMap<string, RecordedSettings>,
  o: ResolvedRunOptions,
): Promise<{ outputs: Record<string, { image: RgbImage; scored: MethodResult }>; timings: string[] }> {
  const outputs: Record<string, { image: RgbImage; scored: MethodResult }> = {};
  const timings: string[] = [];
  for (const method of methods) {
    const started = performance.now();
    const image = await method.generate(input, contextOf(method, c, o));
    const seconds = (performance.now() - started) / 1000;
    checkOutput(method, c, image);
    const result: CaseResult = {
      method: method.id,
      description: method.description,
      index: c.index,
      text: c.text,
      sizePx: o.sizePx,
      settings: recorded.get(method.id)!,
      metrics: computeMetrics(image, c),
      seconds,
    };
    if (o.outDir !== undefined) {
      if (keepOutputs) await writeKeptOutputs(o.outDir, c, { [method.id]: image });
      await appendCaseResult(o.outDir, result);
    }
    outputs[method.id] = { image, scored: { index: c.index, metrics: result.metrics, seconds } };
    timings.push(`${method.id} ${seconds.toFixed(1)} s`);
  }
  return { outputs, timings };
}

/**
 * Runs methods on benchmark cases and scores every output.
 * @returns what this call scored (with `outDir`, pairs found there are skipped and not in it: read the folder back
 *   with `readRunFolder` for everything)
 * @throws InputError for bad options, a method returning the wrong size, or an `outDir` holding results of another
 *   size or other settings; CancelledError when `signal` fires (every pair scored so far is already on disk)
 */
export async function runBenchmark(
  methods: readonly EvalMethod[],
  options: RunOptions = {},
): Promise<BenchmarkRun> {
  const o = resolveRunOptions(options);
  const recorded = await recordedSettingsOf(methods, o);
  const done = o.outDir === undefined ? new Set<string>() : await pairsDone(o.outDir, recorded, o.sizePx);
  const results: Record<string, MethodResult[]> = Object.fromEntries(methods.map((m) => [m.id, []]));
  const cases: { index: number; text: string }[] = [];
  const kept: KeptCase[] = [];
  for (let i = 0; i < o.cases; i++) {
    throwIfAborted(o.signal, 'evaluation');
    const index = o.firstIndex + i;
    const todo = methods.filter((m) => !done.has(`${m.id}#${index}`));
    if (todo.length === 0) {
      o.onProgress?.({ stage: 'eval', step: i + 1, total: o.cases, detail: `case ${index}: already scored` });
      continue;
    }
    const c = makeCase(index, o.sizePx);
    let written: { document: ReturnType<typeof collageDocument>; path: string } | undefined;
    if (o.writeCasesTo !== undefined)
      written = await writeCaseFiles(join(o.writeCasesTo, `case-${String(index).padStart(4, '0')}`), c);
    const document = written?.document ?? collageDocument(c, CASE_FILES.background, CASE_FILES.layer);
    const input = methodInput(c, document, written?.path);
    const { outputs, timings } = await runCase(c, input, todo, i < o.keepOutputs, recorded, o);
    for (const [id, result] of Object.entries(outputs)) results[id]!.push(result.scored);
    cases.push({ index, text: c.text });
    if (kept.length < o.keepOutputs)
      kept.push({
        index,
        text: c.text,
        collage: c.naive,
        groundTruth: c.groundTruth,
        outputs: Object.fromEntries(Object.entries(outputs).map(([id, r]) => [id, r.image])),
      });
    o.onProgress?.({
      stage: 'eval',
      step: i + 1,
      total: o.cases,
      detail: `case ${index}: ${timings.join(', ')}`,
    });
  }
  return {
    sizePx: o.sizePx,
    methods: methods.map((m) => ({ id: m.id, description: m.description })),
    cases,
    results,
    settings: Object.fromEntries(recorded),
    kept,
  };
}
