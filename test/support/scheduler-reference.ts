// Shared by the scheduler tests: loads the diffusers scheduler fixtures and runs a scheduler over the recorded
// protocol (README "Scheduler details": x = x_T_unit * init_noise_sigma; per step model_inputs[i] =
// scale_model_input(x, t_i); x = step(model_outputs[i], t_i, x).prev_sample).
import { readFileSync } from 'node:fs';
import { float32, type Tensor } from '../../src/tensor.ts';
import { openSafetensors, parsePythonJson } from '../../src/io/index.ts';
import type { RawSchedulerConfig, Scheduler } from '../../src/sampling/index.ts';
import { referencePath } from './reference.ts';

/** A reference tensor as compared: floats as Float32Array, I64 (timesteps) as exact Float64Array. */
export interface ReadTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

function readAll(path: string): Map<string, ReadTensor> {
  const file = openSafetensors(path);
  try {
    const tensors = new Map<string, ReadTensor>();
    for (const name of file.names()) {
      const stored = file.read(name);
      const data =
        stored.data instanceof BigInt64Array
          ? Float64Array.from(stored.data, Number)
          : file.readFloat32(name);
      tensors.set(name, { shape: stored.shape, data });
    }
    return tensors;
  } finally {
    file.close();
  }
}

/** The tensor `name`, or an Error naming it and the tensors present. */
export function tensorOf(file: Map<string, ReadTensor>, name: string): ReadTensor {
  const t = file.get(name);
  if (!t) throw new Error(`reference tensor ${name} not found (have: ${[...file.keys()].join(', ')})`);
  return t;
}

/** Slice i of the first axis of a reference tensor, as float32 data. */
export function sliceFirst(t: ReadTensor, i: number): Float32Array {
  const inner = t.data.length / (t.shape[0] ?? 1);
  return Float32Array.from(t.data.subarray(i * inner, (i + 1) * inner));
}

const cache = new Map<string, Map<string, ReadTensor>>();

/** A reference safetensors file (cached), e.g. 'diffusers/refs/schedulers.safetensors'. */
export function loadReference(relative: string): Map<string, ReadTensor> {
  let file = cache.get(relative);
  if (!file) {
    file = readAll(referencePath(relative));
    cache.set(relative, file);
  }
  return file;
}

/** A fixture scheduler_config.json, e.g. 'diffusers/schedulers/ddim/scheduler_config.json'. */
export function loadSchedulerConfig(relative: string): RawSchedulerConfig {
  return parsePythonJson(readFileSync(referencePath(relative), 'utf8'), relative) as RawSchedulerConfig;
}

/** Everything a trajectory produced, one Float32Array per step. */
export interface Trajectory {
  readonly modelInputs: Float32Array[];
  readonly prevSamples: Float32Array[];
  readonly predOriginalSamples: Float32Array[];
}

/**
 * Runs the fixture protocol over scheduler.timesteps.
 * @param xTUnit [1, 4, 8, 8] unit noise; @param modelOutputs [S, 1, 4, 8, 8]; @param noises optional [S, ...]
 */
export function runTrajectory(
  scheduler: Scheduler,
  xTUnit: ReadTensor,
  modelOutputs: ReadTensor,
  noises?: ReadTensor,
): Trajectory {
  const shape = xTUnit.shape;
  const sigma = scheduler.initNoiseSigma;
  let x: Tensor<'float32'> = float32(
    shape,
    Float32Array.from(xTUnit.data, (v) => v * sigma),
  );
  const result: Trajectory = { modelInputs: [], prevSamples: [], predOriginalSamples: [] };
  scheduler.timesteps.forEach((t, i) => {
    result.modelInputs.push(scheduler.scaleModelInput(x, t).data);
    const noise = noises === undefined ? undefined : float32(shape, sliceFirst(noises, i));
    const out = scheduler.step(float32(shape, sliceFirst(modelOutputs, i)), t, x, noise);
    result.prevSamples.push(out.prevSample.data);
    result.predOriginalSamples.push(out.predOriginalSample.data);
    x = out.prevSample;
  });
  return result;
}

/**
 * max over steps of max|actual - expected| / max|expected over the whole trajectory| (the README's "relative to
 * max|x|"), plus the step count compared.
 */
export function trajectoryError(
  actual: readonly Float32Array[],
  expected: ReadTensor,
): { maxRel: number; steps: number } {
  const steps = expected.shape[0] ?? 0;
  let scale = 0;
  for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
  let maxAbs = 0;
  for (let i = 0; i < steps; i++) {
    const want = sliceFirst(expected, i);
    const got = actual[i];
    if (!got || got.length !== want.length)
      throw new Error(`step ${i}: expected ${want.length} values, got ${got?.length ?? 'none'}`);
    for (let j = 0; j < want.length; j++) maxAbs = Math.max(maxAbs, Math.abs(got[j]! - want[j]!));
  }
  if (actual.length !== steps) throw new Error(`expected ${steps} steps, got ${actual.length}`);
  return { maxRel: maxAbs / Math.max(scale, 1e-30), steps };
}

/** max |a - b| / max |b| over two flat arrays of equal length. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let scale = 0;
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    maxAbs = Math.max(maxAbs, Math.abs(actual[i]! - expected[i]!));
  }
  return maxAbs / Math.max(scale, 1e-30);
}
