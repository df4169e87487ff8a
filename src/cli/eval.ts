// `collage-diffusion eval`: runs methods on Shapes World benchmark cases and writes a report (world.md).
import type { Command } from 'commander';
import { InputError } from '../errors.ts';
import {
  evalMethods,
  resolveEvalMethods,
  runBenchmark,
  writeReport,
  REPORT_FILES,
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
  const run = await runBenchmark(methods, {
    cases,
    sizePx: parseIntegerOption(options.size, '--size', 64, 4096),
    firstIndex: parseIntegerOption(options.first, '--first', 0, Number.MAX_SAFE_INTEGER),
    keepOutputs: parseIntegerOption(options.keep, '--keep', 0, 100),
    settings: parseSettings(options.set),
    ...(options.writeCases ? { writeCasesTo: join(options.out, 'cases') } : {}),
    onProgress: (e) => {
      if (e.step === e.total || e.step % Math.max(1, Math.round(e.total / 10)) === 0)
        console.error(`eval: ${e.step}/${e.total} cases`);
    },
  });
  await writeReport(options.out, run);
  console.log(
    `wrote ${join(options.out, REPORT_FILES.markdown)} (${cases} cases × ${methods.length} methods in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
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
        .join(', ')})`,
      'naive,ground-truth',
    )
    .requiredOption('-o, --out <dir>', 'report folder')
    .option('--size <px>', 'canvas side in px, a multiple of 8', String(DEFAULT_RUN_OPTIONS.sizePx))
    .option('--first <index>', 'first case index in the evaluation stream', '0')
    .option('--keep <n>', 'cases shown in the image grid', String(DEFAULT_RUN_OPTIONS.keepOutputs))
    .option('--set <key=value...>', 'settings passed to the methods', [])
    .option('--write-cases', 'also write each case as a collage document under <out>/cases/')
    .action(async (opts: EvalCommandOptions) => evalCommand(opts));
}
