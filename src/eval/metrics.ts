// The benchmark's metrics in one table (world.md "Metrics"): ids, labels, which direction is better, and one
// function that computes them all for an output.
import type { RgbImage } from '../world/index.ts';
import { appearanceFidelity } from './appearance-fidelity.ts';
import type { BenchmarkCase } from './case.ts';
import { harmonization } from './harmonization.ts';
import { spatialFidelity } from './spatial-fidelity.ts';

export const METRIC_IDS = [
  'iou',
  'objectRecall',
  'pattern',
  'chromaError',
  'backgroundError',
  'shadowError',
  'lightGainDeviation',
] as const;
export type MetricId = (typeof METRIC_IDS)[number];

export interface MetricInfo {
  readonly group: 'spatial fidelity' | 'appearance fidelity' | 'harmonization';
  readonly label: string;
  readonly better: 'higher' | 'lower';
}

export const METRIC_INFO: Readonly<Record<MetricId, MetricInfo>> = {
  iou: { group: 'spatial fidelity', label: 'foreground IoU', better: 'higher' },
  objectRecall: { group: 'spatial fidelity', label: 'object recall', better: 'higher' },
  pattern: { group: 'appearance fidelity', label: 'pattern similarity', better: 'higher' },
  chromaError: { group: 'appearance fidelity', label: 'chroma error', better: 'lower' },
  backgroundError: { group: 'harmonization', label: 'background error', better: 'lower' },
  shadowError: { group: 'harmonization', label: 'shadow error', better: 'lower' },
  lightGainDeviation: { group: 'harmonization', label: 'light gain error', better: 'lower' },
};

export type MetricValues = Readonly<Record<MetricId, number>>;

/**
 * Every metric of one output of one case (see spatial-fidelity.ts, appearance-fidelity.ts, harmonization.ts for
 * the formulas).
 * @param output [H, W, 3], the case's size
 */
export function computeMetrics(output: RgbImage, c: BenchmarkCase): MetricValues {
  const spatial = spatialFidelity(output, c.groundTruth, c.background, c.masks);
  const appearance = appearanceFidelity(output, c.groundTruth, c.masks);
  const harmony = harmonization(output, c.groundTruth, c.background, c.masks);
  return {
    iou: spatial.iou,
    objectRecall: spatial.objectRecall,
    pattern: appearance.pattern,
    chromaError: appearance.chromaError,
    backgroundError: harmony.backgroundError,
    shadowError: harmony.shadowError,
    lightGainDeviation: harmony.lightGainDeviation,
  };
}
