// The benchmark report: report.md (table of mean [95% interval] per method and metric, plot, image grid),
// results.json (every per-case value), metrics.svg/png and grid.png.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/index.ts';
import type { Estimate } from './bootstrap.ts';
import { writePngFile } from './files.ts';
import { imageGrid } from './grid.ts';
import { METRIC_IDS, METRIC_INFO } from './metrics.ts';
import { renderMetricsPlot, type RunSummary } from './plot.ts';
import { summarizeRun, type BenchmarkRun } from './runner.ts';

/** Files a report writes, relative to its folder. */
export const REPORT_FILES = Object.freeze({
  markdown: 'report.md',
  json: 'results.json',
  plotSvg: 'metrics.svg',
  plotPng: 'metrics.png',
  grid: 'grid.png',
});

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

function markdown(run: BenchmarkRun, summary: RunSummary): string {
  const columns = ['collage', 'ground truth', ...run.methods.map((m) => m.id)];
  return [
    '# Shapes World benchmark',
    '',
    `${run.cases.length} cases from the evaluation seed stream (indices ${run.firstIndex}–${run.firstIndex + run.cases.length - 1}), ${run.sizePx}×${run.sizePx} px.`,
    'Each cell: mean over cases [95% percentile-bootstrap interval, 2000 resamples]. ↑ higher is better, ↓ lower is better.',
    '',
    summaryTable(summary),
    '',
    '## Methods',
    '',
    ...run.methods.map((m) => `- \`${m.id}\`: ${m.description}`),
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
    ...run.kept.map((k, i) => `${i + 1}. case ${k.case.index}: "${k.case.text}"`),
    '',
  ].join('\n');
}

/**
 * Writes the report of a run into `dir` (created if needed).
 * @returns the paths written
 */
export async function writeReport(dir: string, run: BenchmarkRun): Promise<readonly string[]> {
  const summary = summarizeRun(run);
  const written: string[] = [];
  await mkdir(dir, { recursive: true });
  const put = async (name: string, content: Uint8Array | string): Promise<void> => {
    await writeFileAtomic(join(dir, name), typeof content === 'string' ? new TextEncoder().encode(content) : content);
    written.push(join(dir, name));
  };
  const plot = await renderMetricsPlot(summary);
  await put(REPORT_FILES.plotSvg, plot.svg);
  await put(REPORT_FILES.plotPng, plot.png);
  const rows = run.kept.map((k) => [
    k.case.naive,
    k.case.groundTruth,
    ...run.methods.map((m) => k.outputs[m.id]!),
  ]);
  if (rows.length > 0) {
    await writePngFile(join(dir, REPORT_FILES.grid), imageGrid(rows));
    written.push(join(dir, REPORT_FILES.grid));
  }
  await put(
    REPORT_FILES.json,
    `${JSON.stringify({ sizePx: run.sizePx, firstIndex: run.firstIndex, methods: run.methods, cases: run.cases, summary, values: run.values }, null, 1)}\n`,
  );
  await put(REPORT_FILES.markdown, markdown(run, summary));
  return written;
}
