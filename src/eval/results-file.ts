// The run folder's per-case results (`<out>/cases.jsonl`): one JSON line per (case, method), appended as each
// finishes, so a run can be interrupted, resumed and sharded. Each line is one write() on a file opened with
// O_APPEND, so processes appending to the same file never interleave or overwrite each other's lines.
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BugError } from '../errors.ts';
import { METRIC_IDS, type MetricValues } from './metrics.ts';
import type { RecordedSettings } from './methods.ts';

/** Paths inside a run folder. */
export const RUN_FILES = Object.freeze({
  results: 'cases.jsonl',
  /** PNGs of the kept cases: `outputs/case-0007/{collage,ground-truth,<method id>}.png`. */
  caseOutputs: (index: number) => join('outputs', `case-${String(index).padStart(4, '0')}`),
  outputsFolder: 'outputs',
  collage: 'collage.png',
  groundTruth: 'ground-truth.png',
  output: (methodId: string) => `${methodId}.png`,
});

/** One scored output: a line of cases.jsonl. */
export interface CaseResult {
  /** Method id, with its variant (`sdedit@0.6`). */
  readonly method: string;
  readonly description: string;
  /** Case index in the 'eval' seed stream. */
  readonly index: number;
  /** The case's scene text. */
  readonly text: string;
  readonly sizePx: number;
  /** What the output depends on (EvalMethod.recordedSettings); a resumed run must match it. */
  readonly settings: RecordedSettings;
  /** NaN where a metric is undefined for the case (stored as null). */
  readonly metrics: MetricValues;
  /** Wall time of the method on this case, s. */
  readonly seconds: number;
}

/** Appends one result line to `<dir>/cases.jsonl` (creating both) in a single O_APPEND write. */
export async function appendCaseResult(dir: string, result: CaseResult): Promise<void> {
  await mkdir(dir, { recursive: true });
  const bytes = new TextEncoder().encode(`${JSON.stringify(result)}\n`);
  const file = await open(join(dir, RUN_FILES.results), 'a');
  try {
    const { bytesWritten } = await file.write(bytes);
    if (bytesWritten !== bytes.length)
      throw new BugError(`appended ${bytesWritten} of ${bytes.length} bytes to ${RUN_FILES.results}`);
  } finally {
    await file.close();
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A parsed line, or undefined when it is not a result (a torn or edited line). */
function parseLine(line: string): CaseResult | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(v) || !isRecord(v['metrics']) || !isRecord(v['settings'])) return undefined;
  const { method, description, index, text, sizePx, seconds } = v;
  if (typeof method !== 'string' || typeof description !== 'string' || typeof text !== 'string')
    return undefined;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(sizePx) || typeof seconds !== 'number')
    return undefined;
  const m = v['metrics'];
  const metrics: Record<string, number> = {};
  for (const id of METRIC_IDS) {
    const x = m[id];
    if (x !== null && typeof x !== 'number') return undefined;
    metrics[id] = x ?? Number.NaN;
  }
  const settings: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(v['settings'])) {
    if (typeof value !== 'string' && typeof value !== 'number') return undefined;
    settings[key] = value;
  }
  return {
    method,
    description,
    index: index as number,
    text,
    sizePx: sizePx as number,
    settings,
    metrics: metrics as MetricValues,
    seconds,
  };
}

/**
 * Every result in `<dir>/cases.jsonl` (none when the file does not exist), in file order. A last line without its
 * newline is being written by another process and is left for the next read; other lines that are not results
 * (damaged by hand or by a full disk) are skipped and counted, so their pairs run again.
 */
export async function readCaseResults(
  dir: string,
): Promise<{ readonly results: readonly CaseResult[]; readonly damagedLines: readonly number[] }> {
  let text: string;
  try {
    text = await readFile(join(dir, RUN_FILES.results), 'utf8');
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') return { results: [], damagedLines: [] };
    throw e;
  }
  const lines = text.split('\n');
  lines.pop(); // the text after the last newline: empty, or a line still being written
  const results: CaseResult[] = [];
  const damagedLines: number[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const r = parseLine(line);
    if (r === undefined) damagedLines.push(i + 1);
    else results.push(r);
  });
  return { results, damagedLines };
}

/** Settings as canonical text (keys sorted), for comparing two records. */
export function settingsText(settings: RecordedSettings): string {
  return Object.keys(settings)
    .sort()
    .map((k) => `${k}=${String(settings[k])}`)
    .join(', ');
}
