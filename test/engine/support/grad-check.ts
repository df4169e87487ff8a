// Gradient checks in float64 (engine issue: relative error < 1e-3 against central differences) and forward checks
// in float32 against the plain-JS references, both through real ORT sessions.
import { grad, gradName } from '../../../src/engine/autodiff.ts';
import { Graph, type Value } from '../../../src/engine/graph.ts';
import { EngineSession } from '../../../src/engine/runtime.ts';
import { float32, tensor, type Tensor } from '../../../src/tensor.ts';
import { random, relErr, size, type Arr } from './reference-ops.ts';

export interface CheckInput {
  readonly name: string;
  readonly value: Arr;
  /** Not differentiated (e.g. int64 indices, fed as-is). */
  readonly fixed?: Tensor;
}

const f64 = (a: Arr): Tensor => tensor('float64', a.shape, Float64Array.from(a.data));

/**
 * d(Σ y·R)/d inputs by autodiff vs central differences (step h) on up to `maxElements` entries per input.
 * @returns the largest relative error (max-abs error / max-abs finite difference) over all inputs
 */
export async function gradCheck(build: (g: Graph, inputs: Value[]) => Value, inputs: readonly CheckInput[], options: { h?: number; maxElements?: number } = {}): Promise<number> {
  const h = options.h ?? 1e-5;
  const g = new Graph();
  const values = inputs.map((i) => (i.fixed ? g.input(i.name, i.fixed.dtype, i.fixed.shape) : g.input(i.name, 'float64', i.value.shape)));
  const y = build(g, values);
  const weights = g.constant(f64(random(y.shape, 4242)), 'loss_weights');
  const loss = g.reduceSum(g.mul(y, weights), y.shape.map((_, i) => i));
  const wrt = values.filter((_, i) => !inputs[i]!.fixed);
  const session = await EngineSession.create(grad(g, loss, wrt), { cacheDir: false });
  const feeds: Record<string, Tensor> = {};
  inputs.forEach((i) => (feeds[i.name] = i.fixed ?? f64(i.value)));
  const analytic = await session.run(feeds);
  let worst = 0;
  for (const input of inputs) {
    if (input.fixed) continue;
    const n = size(input.value.shape);
    const max = options.maxElements ?? 40;
    const picks = n <= max ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: max }, (_, i) => Math.floor((i * 7919 + 13) % n));
    const numeric: number[] = [];
    const auto: number[] = [];
    for (const k of picks) {
      const at = async (delta: number): Promise<number> => {
        const data = Float64Array.from(input.value.data);
        data[k]! += delta;
        const out = await session.run({ ...feeds, [input.name]: tensor('float64', input.value.shape, data) }, ['loss']);
        return Number(out['loss']!.data[0]);
      };
      numeric.push(((await at(h)) - (await at(-h))) / (2 * h));
      auto.push(Number(analytic[gradName(input.name)]!.data[k]));
    }
    worst = Math.max(worst, relErr(auto, numeric));
  }
  await session.release();
  return worst;
}

/** Runs a float32 graph once; returns its single output "y". */
export async function runForward(build: (g: Graph, inputs: Value[]) => Value, inputs: readonly CheckInput[]): Promise<Float32Array> {
  const g = new Graph();
  const values = inputs.map((i) => (i.fixed ? g.input(i.name, i.fixed.dtype, i.fixed.shape) : g.input(i.name, 'float32', i.value.shape)));
  g.output('y', build(g, values));
  const session = await EngineSession.create(g, { cacheDir: false });
  const feeds: Record<string, Tensor> = {};
  inputs.forEach((i) => (feeds[i.name] = i.fixed ?? float32(i.value.shape, Float32Array.from(i.value.data))));
  const out = await session.run(feeds);
  await session.release();
  return out['y']!.data as Float32Array;
}

/**
 * The same gradients computed by the float32 graph (real Conv/ConvTranspose kernels, ORT's fusions at level 'all')
 * and the float64 graph (expanded, level 'basic'): largest relative difference over all inputs.
 */
export async function float32VsFloat64(build: (g: Graph, inputs: Value[]) => Value, inputs: readonly CheckInput[]): Promise<number> {
  const results: Record<string, Tensor>[] = [];
  for (const dtype of ['float32', 'float64'] as const) {
    const g = new Graph();
    const values = inputs.map((i) => (i.fixed ? g.input(i.name, i.fixed.dtype, i.fixed.shape) : g.input(i.name, dtype, i.value.shape)));
    const y = build(g, values);
    const r = random(y.shape, 4242);
    const weights = g.constant(dtype === 'float32' ? float32(r.shape, Float32Array.from(r.data)) : f64(r), 'loss_weights');
    const loss = g.reduceSum(g.mul(y, weights), y.shape.map((_, i) => i));
    const session = await EngineSession.create(grad(g, loss, values.filter((_, i) => !inputs[i]!.fixed)), { cacheDir: false });
    const feeds: Record<string, Tensor> = {};
    inputs.forEach((i) => (feeds[i.name] = i.fixed ?? (dtype === 'float32' ? float32(i.value.shape, Float32Array.from(i.value.data)) : f64(i.value))));
    results.push(await session.run(feeds));
    await session.release();
  }
  let worst = 0;
  for (const input of inputs) {
    if (input.fixed) continue;
    const name = gradName(input.name);
    worst = Math.max(worst, relErr(results[0]![name]!.data as Float32Array, results[1]![name]!.data as Float64Array));
  }
  return worst;
}
