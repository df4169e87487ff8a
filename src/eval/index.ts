// The fidelity benchmark (world.md "Benchmark cases", method.md §9): cases, metrics, methods, runner, report.
export {
  makeCase,
  caseFromScene,
  pasteLayers,
  collageDocument,
  type BenchmarkCase,
  type CaseLayer,
  type CollageDocumentJson,
} from './case.ts';
export { caseMasks, type CaseMasks } from './masks.ts';
export {
  spatialFidelity,
  foreground,
  FOREGROUND_THRESHOLD,
  type SpatialFidelity,
} from './spatial-fidelity.ts';
export { appearanceFidelity, type AppearanceFidelity } from './appearance-fidelity.ts';
export { harmonization, lowResolutionDistance, type Harmonization } from './harmonization.ts';
export {
  leastSquaresGain,
  lightLikeGain,
  gainDeviation,
  LIGHT_GAIN_BOUNDS,
  type Gain,
} from './colour-gain.ts';
export {
  computeMetrics,
  METRIC_IDS,
  METRIC_INFO,
  type MetricId,
  type MetricInfo,
  type MetricValues,
} from './metrics.ts';
export { bootstrapMean, type Estimate } from './bootstrap.ts';
export {
  registerEvalMethod,
  evalMethods,
  resolveEvalMethods,
  methodInput,
  type EvalMethod,
  type RecordedSettings,
  type MethodInput,
  type MethodContext,
} from './methods.ts';
export { parseMethodSpec, withNoiseStrength, type MethodSpec } from './method-variants.ts';
export {
  evaluateClaims,
  verdictOf,
  CLAIM_IDS,
  MIN_SDEDIT_STRENGTHS,
  MIN_CLAIM_CASES,
  INVERSION_MIN_STRENGTH,
  type Claim,
  type ClaimId,
  type ClaimOptions,
  type Comparison,
  type SkippedClaim,
  type Verdict,
  type CaseMetrics,
  type ResultsByMethod,
} from './claims.ts';
export { pairedBootstrap, interpolate, type PairedEstimate } from './paired-bootstrap.ts';
export { runBenchmark, resolveRunOptions, DEFAULT_RUN_OPTIONS, type RunOptions } from './runner.ts';
export { summarizeRun, type BenchmarkRun, type KeptCase, type MethodResult, type RunSummary } from './run.ts';
export { readRunFolder, pairsDone, writeKeptOutputs } from './run-folder.ts';
export {
  appendCaseResult,
  readCaseResults,
  settingsText,
  RUN_FILES,
  type CaseResult,
} from './results-file.ts';
export { writeReport, summaryTable, REPORT_FILES } from './report.ts';
export { claimsMarkdown } from './claims-report.ts';
export { metricsPlotSpec, renderMetricsPlot } from './plot.ts';
export { imageGrid } from './grid.ts';
export { writeCaseFiles, writePngFile, writeTextFile, CASE_FILES } from './files.ts';
