// The report's plot: one panel per metric, a bar per method with its 95% interval, drawn by Vega-Lite (headless,
// SVG) and rasterised to PNG by io's svgToPng.
import { svgToPng } from '../io/index.ts';
import type { TopLevelSpec } from 'vega-lite';
import { METRIC_IDS, METRIC_INFO } from './metrics.ts';
import type { RunSummary } from './run.ts';

/** The Vega-Lite specification of the metrics plot: faceted bars with error bars, independent y scales. */
export function metricsPlotSpec(summary: RunSummary): TopLevelSpec {
  const values = Object.entries(summary).flatMap(([method, metrics]) =>
    METRIC_IDS.map((id) => {
      const e = metrics[id];
      const info = METRIC_INFO[id];
      return {
        method,
        metric: `${info.label} (${info.better === 'higher' ? '↑' : '↓'})`,
        mean: e.mean,
        lo: e.lo,
        hi: e.hi,
      };
    }),
  );
  const order = METRIC_IDS.map(
    (id) => `${METRIC_INFO[id].label} (${METRIC_INFO[id].better === 'higher' ? '↑' : '↓'})`,
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    facet: { field: 'metric', type: 'nominal', title: null, sort: order, header: { labelFontSize: 12 } },
    columns: 4,
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 150,
      height: 130,
      layer: [
        {
          mark: 'bar',
          encoding: {
            x: { field: 'method', type: 'nominal', title: null, axis: { labelAngle: -30 } },
            y: { field: 'mean', type: 'quantitative', title: null },
            color: { field: 'method', type: 'nominal', legend: null },
          },
        },
        {
          mark: { type: 'errorbar', ticks: true },
          encoding: {
            x: { field: 'method', type: 'nominal' },
            y: { field: 'lo', type: 'quantitative' },
            y2: { field: 'hi' },
          },
        },
      ],
    },
    config: { background: 'white' },
  };
}

/** The metrics plot as SVG text and PNG bytes. */
export async function renderMetricsPlot(summary: RunSummary): Promise<{ svg: string; png: Uint8Array }> {
  // Loaded here, not at the top: Vega takes ~0.3 s to import and only the report needs it, not every CLI command.
  const [{ parse, View }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new View(parse(compile(metricsPlotSpec(summary)).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return { svg, png: await svgToPng(svg) };
}
