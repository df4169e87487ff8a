// The benchmark report: report.md (table of mean [95% interval] per method and metric, claims, timings, plot,
// image grid), results.json (summary, claims, every per-case value), metrics.svg/png and grid.png.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/index.ts';
import type { Estimate } from './bootstrap.ts';
import { evaluateClaims } from './claims.ts';
import { claimsMarkdown } from './claims-report.ts';
import { writePngFile } from './files.ts';
import { imageGrid } from './grid.ts';
import { METRIC_IDS, METRIC_INFO } from './metrics.ts';
import { renderMetricsPlot } from './plot.ts';
import { RUN_FILES, settingsText } from './results-file.ts';
import { summarizeRun, type BenchmarkRun, type RunSummary } from './run.ts';

/** Files a report writes, relative to its folder. */
export const REPORT_FILES = Object.freeze({
  markdown: 'report.md',
  json: 'results.json',
  plotSvg: 'metrics.svg',
  plotPng: 'metrics.png',
  grid: 'grid.png',
});

/** Bootstrap resamples of the summary and the claims. */
const RESAMPLES = 2000;

function formatEstimate(e: Estimate): string {
  if (e.n === 0) return 'n/a';
  const digits = Math.abs(e.mean) < 0.01 && e.mean !== 0 ? 4 : 3;
  return `${e.mean.toFixed(digits)} [${e.lo.toFixed(digits)}, ${e.hi.toFixed(digits)}]`;
}

/** The Markdown table: one row per method, one column per metric, "mean [lo, hi]". */
export function summaryTable(summary: RunSummary): string {
  const header = METRIC_IDS.map(
    (id) => `${METRIC_INFO[id].label} ${METRIC_INFO[id].better === 'higher' ? '↑' : '↓'}`,
  );
  const lines = [`| method | ${header.join(' | ')} |`, `|---|${METRIC_IDS.map(() => '---:').join('|')}|`];
  for (const [method, metrics] of Object.entries(summary)) {
    lines.push(`| ${method} | ${METRIC_IDS.map((id) => formatEstimate(metrics[id])).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Cases, time per case and recorded settings of each method. */
function methodsTable(run: BenchmarkRun): string[] {
  return [
    '| method | cases | s per case (mean) | settings | what it is |',
    '|---|---:|---:|---|---|',
    ...run.methods.map((m) => {
      const rows = run.results[m.id] ?? [];
      const seconds = rows.reduce((s, r) => s + r.seconds, 0) / Math.max(1, rows.length);
      const settings = run.settings[m.id];
      return `| \`${m.id}\` | ${rows.length} | ${seconds.toFixed(2)} | ${settings ? settingsText(settings) : ''} | ${m.description} |`;
    }),
  ];
}

/** "12 cases (indices 0–11)", or the index ranges when there are gaps (shards still running). */
function casesLine(run: BenchmarkRun): string {
  const ranges: string[] = [];
  let start: number | undefined;
  run.cases.forEach((c, i) => {
    start ??= c.index;
    const next = run.cases[i + 1];
    if (next === undefined || next.index !== c.index + 1) {
      ranges.push(start === c.index ? String(start) : `${start}–${c.index}`);
      start = undefined;
    }
  });
  return `${run.cases.length} cases from the evaluation seed stream (indices ${ranges.join(', ')}), ${run.sizePx}×${run.sizePx} px.`;
}

function markdown(run: BenchmarkRun, summary: RunSummary, claims: string): string {
  const columns = ['collage', 'ground truth', ...run.methods.map((m) => m.id)];
  const damaged = run.damagedLines ?? [];
  return [
    '# Shapes World benchmark',
    '',
    casesLine(run),
    `Each cell: mean over cases [95% percentile-bootstrap interval, ${RESAMPLES} resamples]. ↑ higher is better, ↓ lower is better.`,
    ...(damaged.length > 0
      ? [
          `${damaged.length} damaged line(s) of ${RUN_FILES.results} were skipped (lines ${damaged.join(', ')}); their pairs run again on the next run.`,
        ]
      : []),
    '',
    summaryTable(summary),
    '',
    claims,
    '## Methods',
    '',
    ...methodsTable(run),
    '',
    '## Metrics',
    '',
    '- Spatial fidelity: IoU of the output foreground (pixels differing from the empty background by > 0.08) with the layer masks, shadows and undecidable pixels ignored; object recall = mean fraction of each visible mask that is foreground.',
    '- Appearance fidelity: per object, SSIM structure term of log-intensity high-passes (pattern), and chromaticity error after a per-part light-like colour gain (chroma).',
    '- Harmonization: low-resolution (16×16 blocks) colour distance to the ground truth outside the objects and on its shadows; mean |ln g| of the per-object colour gain that relights the output like the scene.',
    '',
    `![metrics](${REPORT_FILES.plotPng})`,
    '',
    `## Examples (columns: ${columns.join(' | ')})`,
    '',
    `![grid](${REPORT_FILES.grid})`,
    '',
    ...run.kept.map((k, i) => `${i + 1}. case ${k.index}: "${k.text}"`),
    '',
  ].join('\n');
}

/**
 * Writes the report of a run into `dir` (created if needed), each file atomically.
 * @returns the paths written
 */
export async function writeReport(dir: string, run: BenchmarkRun): Promise<readonly string[]> {
  const summary = summarizeRun(run, RESAMPLES);
  const { claims, skipped } = evaluateClaims(run.results, { resamples: RESAMPLES });
  const written: string[] = [];
  await mkdir(dir, { recursive: true });
  const put = async (name: string, content: Uint8Array | string): Promise<void> => {
    await writeFileAtomic(
      join(dir, name),
      typeof content === 'string' ? new TextEncoder().encode(content) : content,
    );
    written.push(join(dir, name));
  };
  const plot = await renderMetricsPlot(summary);
  await put(REPORT_FILES.plotSvg, plot.svg);
  await put(REPORT_FILES.plotPng, plot.png);
  const rows = run.kept.map((k) => [k.collage, k.groundTruth, ...run.methods.map((m) => k.outputs[m.id])]);
  if (rows.length > 0) {
    await writePngFile(join(dir, REPORT_FILES.grid), imageGrid(rows));
    written.push(join(dir, REPORT_FILES.grid));
  }
  const { sizePx, methods, cases, settings, results } = run;
  await put(
    REPORT_FILES.json,
    `${JSON.stringify({ sizePx, methods, settings, cases, summary, claims, skippedClaims: skipped, results }, null, 1)}\n`,
  );
  await put(REPORT_FILES.markdown, markdown(run, summary, claimsMarkdown(claims, skipped, RESAMPLES)));
  return written;
}
