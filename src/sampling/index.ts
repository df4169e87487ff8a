// Public API of sampling/: the schedulers (one interface, five algorithms), their registry, the shared schedule
// maths and the seeded noise source. Other folders import only this file.
export type { Latents, Scheduler, SchedulePosition, SetTimestepsOptions, StepResult } from './scheduler.ts';
export { MAX_STEPS, startIndexForStrength, validateStepCount, validateStrength } from './scheduler.ts';
export {
  BETA_SCHEDULES,
  TIMESTEP_SPACINGS,
  karrasSigmas,
  noiseSchedule,
  sigmaAtTimestep,
  timestepForSigma,
  type BetaSchedule,
  type NoiseSchedule,
  type NoiseScheduleConfig,
  type TimestepSpacing,
} from './schedule.ts';
export { PREDICTION_TYPES, type PredictionType, type RawSchedulerConfig } from './scheduler-config.ts';
export { DdimScheduler, type DdimConfig, type DdimOptions } from './ddim.ts';
export { EulerScheduler, type EulerConfig } from './euler.ts';
export { EulerAncestralScheduler } from './euler-ancestral.ts';
export { DpmSolverMultistepScheduler, type DpmSolverConfig } from './dpmpp-2m.ts';
export { PndmScheduler, type PndmConfig } from './pndm.ts';
export {
  SCHEDULER_CLASS_NAMES,
  SCHEDULER_IDS,
  createScheduler,
  isSchedulerId,
  parseSchedulerId,
  type CreateSchedulerOptions,
  type SchedulerId,
} from './registry.ts';
export { RNG_ALGORITHM, Rng, philox4x32, type NoiseSource } from './rng.ts';
export { TorchCpuRng } from './torch-rng.ts';
export { denoise, applyGuidance, concatBatch, latentPreview, validateGuidance, SD_PREVIEW_MATRIX, type DenoiseOptions, type NoisePredictor, type StepInfo } from './pipeline.ts';
