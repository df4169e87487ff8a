// `collage-diffusion eval`: runs methods on Shapes World benchmark cases and writes a report (world.md).
import type { Command } from 'commander';
import { InputError } from '../errors.ts';
import {
  evalMethods,
  readCaseResults,
  readRunFolder,
  resolveEvalMethods,
  runBenchmark,
  writeReport,
  REPORT_FILES,
  RUN_FILES,
  DEFAULT_RUN_OPTIONS,
} from '../eval/index.ts';
import { join } from 'node:path';
import { parseIntegerOption } from './integer-option.ts';

export interface EvalCommandOptions {
  readonly cases: string;
  readonly methods: string;
  readonly out: string;
  readonly size: string;
  readonly first: string;
  readonly keep: string;
  readonly set: readonly string[];
  readonly writeCases?: boolean;
  readonly reportOnly?: boolean;
}

/** `key=value` pairs of `--set`, for the methods. @throws InputError listing each malformed pair */
export function parseSettings(pairs: readonly string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  const bad = pairs.filter((p) => !/^[A-Za-z][\w.-]*=/.test(p));
  if (bad.length > 0)
    throw new InputError(
      bad.map((p) => ({ what: `"${p}" is not key=value`, where: '--set', fix: 'write e.g. --set steps=20' })),
    );
  for (const p of pairs) settings[p.slice(0, p.indexOf('='))] = p.slice(p.indexOf('=') + 1);
  return settings;
}

export async function evalCommand(options: EvalCommandOptions): Promise<void> {
  const keep = parseIntegerOption(options.keep, '--keep', 0, 100);
  if (options.reportOnly === true) {
    const run = await readRunFolder(options.out, { keep });
    await writeReport(options.out, run);
    console.log(
      `wrote ${join(options.out, REPORT_FILES.markdown)} (${run.cases.length} cases × ${run.methods.length} methods from ${join(options.out, RUN_FILES.results)})`,
    );
    return;
  }
  const ids = options.methods
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (ids.length === 0)
    throw new InputError({
      what: 'no method given',
      where: '--methods',
      fix: `use some of: ${evalMethods()
        .map((m) => m.id)
        .join(', ')}`,
    });
  const methods = resolveEvalMethods(ids);
  const cases = parseIntegerOption(options.cases, '--cases', 1, 100000);
  const started = performance.now();
  // Ctrl-C stops between denoising steps; every pair scored so far is on disk, and the report is rebuilt from it.
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  let fresh: Awaited<ReturnType<typeof runBenchmark>> | undefined;
  try {
    fresh = await runBenchmark(methods, {
      cases,
      sizePx: parseIntegerOption(options.size, '--size', 64, 4096),
      firstIndex: parseIntegerOption(options.first, '--first', 0, Number.MAX_SAFE_INTEGER),
      keepOutputs: keep,
      settings: parseSettings(options.set),
      outDir: options.out,
      ...(options.writeCases ? { writeCasesTo: join(options.out, 'cases') } : {}),
      onProgress: (e) => console.error(`eval: ${e.step}/${e.total} ${e.detail ?? ''}`),
      signal: controller.signal,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    // The report covers everything in the folder: earlier runs and other shards too.
    if (fresh !== undefined || controller.signal.aborted) await reportFolder(options.out, keep, methods);
  }
  const scored = Object.values(fresh.results).reduce((n, rows) => n + rows.length, 0);
  console.log(
    `wrote ${join(options.out, REPORT_FILES.markdown)} (${cases} cases × ${methods.length} methods: ${scored} scored now in ${((performance.now() - started) / 1000).toFixed(1)} s, ${cases * methods.length - scored} already there)`,
  );
}

/** Rebuilds the report from the run folder, methods of this run first (nothing when the folder has no results). */
async function reportFolder(
  out: string,
  keep: number,
  methods: readonly { readonly id: string }[],
): Promise<void> {
  const { results } = await readCaseResults(out);
  if (results.length === 0) return;
  const run = await readRunFolder(out, { keep, order: methods.map((m) => m.id) });
  await writeReport(out, run);
  console.error(`eval: report of ${run.cases.length} cases × ${run.methods.length} methods in ${out}`);
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description(
      'score methods on Shapes World benchmark cases (spatial fidelity, appearance fidelity, harmonization)',
    )
    .option('--cases <n>', 'number of cases', String(DEFAULT_RUN_OPTIONS.cases))
    .option(
      '--methods <ids>',
      `comma-separated method ids (${evalMethods()
        .map((m) => m.id)
        .join(', ')}); id@s sets every layer's noise strength to s, e.g. sdedit@0.6`,
      'naive,ground-truth',
    )
    .requiredOption(
      '-o, --out <dir>',
      `run folder: results are appended to <dir>/${RUN_FILES.results} as each case finishes; a rerun skips pairs already there, and shards (--first/--cases) may share it`,
    )
    .option('--size <px>', 'canvas side in px, a multiple of 8', String(DEFAULT_RUN_OPTIONS.sizePx))
    .option('--first <index>', 'first case index in the evaluation stream', '0')
    .option('--keep <n>', 'cases shown in the image grid', String(DEFAULT_RUN_OPTIONS.keepOutputs))
    .option('--set <key=value...>', 'settings passed to the methods', [])
    .option('--write-cases', 'also write each case as a collage document under <out>/cases/')
    .option(
      '--report-only',
      `rebuild the report from <out>/${RUN_FILES.results} and <out>/${RUN_FILES.outputsFolder}/ without running anything`,
    )
    .action(async (opts: EvalCommandOptions) => evalCommand(opts));
}
