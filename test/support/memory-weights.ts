// An in-memory WeightSource for model tests that need small, seeded weights without a file.
import type { WeightSource } from '../../src/models/weights.ts';
import type { Tensor } from '../../src/tensor.ts';

export function memoryWeights(tensors: ReadonlyMap<string, Tensor<'float32'>>, path = 'memory'): WeightSource {
  const get = (name: string): Tensor<'float32'> => {
    const t = tensors.get(name);
    if (!t) throw new Error(`no weight ${name}`);
    return t;
  };
  return { path, names: () => [...tensors.keys()], has: (n) => tensors.has(n), info: (n) => ({ shape: get(n).shape }), readFloat32: (n) => get(n).data };
}

/** Deterministic values in [-1, 1) from a 32-bit LCG (tests only). */
export function seededValues(count: number, seed: number, scale = 1): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32 * 2 - 1) * scale;
  }
  return out;
}
