// A run folder on disk (results-file.ts's cases.jsonl + outputs/ PNGs): which pairs a resumed run may skip, the
// kept outputs a run saves, and the whole run read back for the report, whichever processes wrote it.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, type Problem } from '../errors.ts';
import { readImageFloat } from '../io/index.ts';
import type { RgbImage } from '../world/index.ts';
import type { BenchmarkCase } from './case.ts';
import { writePngFile } from './files.ts';
import type { RecordedSettings } from './methods.ts';
import { readCaseResults, RUN_FILES, settingsText, type CaseResult } from './results-file.ts';
import type { BenchmarkRun, KeptCase, MethodResult } from './run.ts';

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * The (method, case) pairs of `dir` a run may skip, as `${method}#${index}`.
 * @param recorded by method id of this run: the settings it runs with
 * @throws InputError when the folder holds results of another size, or of one of these methods with other settings
 */
export async function pairsDone(
  dir: string,
  recorded: ReadonlyMap<string, RecordedSettings>,
  sizePx: number,
): Promise<Set<string>> {
  const { results } = await readCaseResults(dir);
  const problems: Problem[] = [];
  const sizes = new Set(results.map((r) => r.sizePx));
  if ([...sizes].some((s) => s !== sizePx))
    problems.push({
      what: `the folder holds ${[...sizes].join('/')} px results and this run is ${sizePx} px`,
      where: join(dir, RUN_FILES.results),
      fix: 'use another -o folder, or the same --size',
    });
  const reported = new Set<string>();
  for (const r of results) {
    const now = recorded.get(r.method);
    if (now === undefined || reported.has(r.method)) continue;
    const [before, after] = [settingsText(r.settings), settingsText(now)];
    if (before === after) continue;
    reported.add(r.method);
    problems.push({
      what: `"${r.method}" results there were made with {${before}}, this run has {${after}}`,
      where: `${join(dir, RUN_FILES.results)} line of case ${r.index}`,
      fix: `use another -o folder, or rerun with the recorded settings (--set), or remove the folder's "${r.method}" lines`,
    });
  }
  if (problems.length > 0) throw new InputError(problems);
  return new Set(results.map((r) => `${r.method}#${r.index}`));
}

/** Saves outputs of a kept case as PNGs, with the collage and ground truth beside them (once). */
export async function writeKeptOutputs(
  dir: string,
  c: BenchmarkCase,
  outputs: Readonly<Record<string, RgbImage>>,
): Promise<void> {
  const folder = join(dir, RUN_FILES.caseOutputs(c.index));
  if (!(await exists(join(folder, RUN_FILES.groundTruth)))) {
    await writePngFile(join(folder, RUN_FILES.collage), c.naive);
    await writePngFile(join(folder, RUN_FILES.groundTruth), c.groundTruth);
  }
  for (const [id, image] of Object.entries(outputs))
    await writePngFile(join(folder, RUN_FILES.output(id)), image);
}

/** [H, W, 3] of an RGBA PNG (alpha dropped). */
async function readRgb(path: string): Promise<RgbImage> {
  const rgba = await readImageFloat(path);
  const n = rgba.width * rgba.height;
  const data = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) for (let k = 0; k < 3; k++) data[p * 3 + k] = rgba.data[p * 4 + k]!;
  return { width: rgba.width, height: rgba.height, data };
}

/** The `keep` lowest-index cases with saved outputs. */
async function readKept(
  dir: string,
  methods: readonly string[],
  texts: ReadonlyMap<number, string>,
  keep: number,
): Promise<KeptCase[]> {
  const names = await readdir(join(dir, RUN_FILES.outputsFolder)).catch(() => [] as string[]);
  const indices = names
    .map((n) => /^case-(\d+)$/.exec(n))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .filter((index) => texts.has(index))
    .sort((a, b) => a - b);
  const kept: KeptCase[] = [];
  for (const index of indices) {
    if (kept.length >= keep) break;
    const folder = join(dir, RUN_FILES.caseOutputs(index));
    if (!(await exists(join(folder, RUN_FILES.groundTruth)))) continue;
    const outputs: Record<string, RgbImage> = {};
    for (const id of methods) {
      const path = join(folder, RUN_FILES.output(id));
      if (await exists(path)) outputs[id] = await readRgb(path);
    }
    kept.push({
      index,
      text: texts.get(index)!,
      collage: await readRgb(join(folder, RUN_FILES.collage)),
      groundTruth: await readRgb(join(folder, RUN_FILES.groundTruth)),
      outputs,
    });
  }
  return kept;
}

/**
 * Everything in a run folder as one run: each (method, case) once (the first line wins), methods in `order` then
 * in order of first appearance, and the `keep` lowest-index cases with saved outputs for the grid.
 * @throws InputError when the folder has no results, or results of several sizes
 */
export async function readRunFolder(
  dir: string,
  options: { readonly keep?: number; readonly order?: readonly string[] } = {},
): Promise<BenchmarkRun> {
  const { results: lines, damagedLines } = await readCaseResults(dir);
  if (lines.length === 0)
    throw new InputError({
      what: 'no results to report',
      where: join(dir, RUN_FILES.results),
      fix: `run \`collage-diffusion eval -o ${dir}\` first`,
    });
  const sizes = [...new Set(lines.map((r) => r.sizePx))];
  if (sizes.length > 1)
    throw new InputError({
      what: `results of several sizes (${sizes.join(', ')} px) in one folder`,
      where: join(dir, RUN_FILES.results),
      fix: 'report each size from its own folder',
    });
  const byMethod = new Map<string, Map<number, CaseResult>>();
  for (const id of options.order ?? []) byMethod.set(id, new Map());
  for (const r of lines) {
    const cases = byMethod.get(r.method) ?? new Map<number, CaseResult>();
    byMethod.set(r.method, cases);
    if (!cases.has(r.index)) cases.set(r.index, r);
  }
  for (const [id, cases] of byMethod) if (cases.size === 0) byMethod.delete(id);
  const texts = new Map(lines.map((r) => [r.index, r.text]));
  const methods = [...byMethod].map(([id, cases]) => ({
    id,
    description: [...cases.values()][0]!.description,
  }));
  const results: Record<string, MethodResult[]> = {};
  const settings: Record<string, RecordedSettings> = {};
  for (const [id, cases] of byMethod) {
    const rows = [...cases.values()].sort((a, b) => a.index - b.index);
    results[id] = rows.map((r) => ({ index: r.index, metrics: r.metrics, seconds: r.seconds }));
    settings[id] = rows[0]!.settings;
  }
  return {
    sizePx: sizes[0]!,
    methods,
    cases: [...texts].sort((a, b) => a[0] - b[0]).map(([index, text]) => ({ index, text })),
    results,
    settings,
    kept: await readKept(dir, [...byMethod.keys()], texts, options.keep ?? 6),
    damagedLines,
  };
}
