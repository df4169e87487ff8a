// Reading the diffusers fixtures for the model tests and comparing our outputs with them, reporting the worst element.
import assert from 'node:assert/strict';
import { openSafetensors, type TensorSource } from '../../src/io/safetensors.ts';
import { float32, formatShape, type Tensor } from '../../src/tensor.ts';
import { referencePath } from './reference.ts';

/** A fixture file, opened lazily; tensors come back as float32 (I64 as float32 values, exact below 2^24). */
export class ReferenceFile {
  readonly source: TensorSource;
  constructor(relative: string) {
    this.source = openSafetensors(referencePath(relative));
  }
  has(name: string): boolean {
    return this.source.has(name);
  }
  names(): readonly string[] {
    return this.source.names();
  }
  tensor(name: string): Tensor<'float32'> {
    const info = this.source.info(name);
    const stored = this.source.read(name);
    if (stored.dtype === 'int64') return float32(info.shape, Float32Array.from(stored.data as BigInt64Array, (v) => Number(v)));
    return float32(info.shape, this.source.readFloat32(name));
  }
}

/** Largest |actual - expected| and the largest |expected|. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return { diff, scale };
}

/**
 * Asserts same shape and |a - e| <= atol + rtol·|e| everywhere; the message names the tensor and the worst element.
 * @returns the max-abs difference (for reporting)
 */
export function assertClose(actual: Tensor | undefined, expected: Tensor<'float32'>, name: string, atol = 1e-4, rtol = 1e-4): number {
  assert.ok(actual, `${name}: no output`);
  assert.equal(formatShape(actual.shape), formatShape(expected.shape), `${name}: shape`);
  const a = actual.data as Float32Array;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const excess = Math.abs(a[i]! - expected.data[i]!) - (atol + rtol * Math.abs(expected.data[i]!));
    if (!(excess <= worstExcess)) {
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
      worst = i;
    }
  }
  const { diff } = maxAbsDiff(a, expected.data);
  assert.ok(worst < 0, `${name}: element ${worst} is ${a[worst]}, expected ${expected.data[worst]} (max-abs diff ${diff})`);
  return diff;
}

/**
 * Gradient check relative to the reference's absmax (README: gradients compare relative to their absmax).
 * @returns max |a - e| / max |e|
 */
export function assertCloseRelative(actual: Tensor | undefined, expected: Tensor<'float32'>, name: string, tolerance = 1e-4): number {
  assert.ok(actual, `${name}: no output`);
  assert.equal(formatShape(actual.shape), formatShape(expected.shape), `${name}: shape`);
  const { diff, scale } = maxAbsDiff(actual.data as Float32Array, expected.data);
  const rel = diff / Math.max(scale, 1e-30);
  assert.ok(rel <= tolerance, `${name}: max-abs diff ${diff} is ${rel.toExponential(2)} of absmax ${scale} (tolerance ${tolerance})`);
  return rel;
}
