// ONNX emission of frozen weights differentiated through: which conv kernels ORT may block (NCHWc) and which it must
// share, and which linear weights it may prepack.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import ort from 'onnxruntime-node';
import { grad, gradName } from '../../src/engine/autodiff.ts';
import { Graph } from '../../src/engine/graph.ts';
import { decodeModel, emitModel } from '../../src/engine/onnx.ts';
import { EngineSession } from '../../src/engine/runtime.ts';
import { FLIPPED_CONV_GRAD_MIN_POSITIONS } from '../../src/engine/ops/conv.ts';
import { float32 } from '../../src/tensor.ts';

const dir = mkdtempSync(join(tmpdir(), 'onnx-emit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Proto {
  readonly graph: { readonly node: readonly { op_type: string; domain?: string; input: string[] }[]; readonly initializer: readonly { name: string; dims?: number[] }[] };
}

/** d loss / d x through one frozen 3×3 conv (64 → 64 channels) on a size×size input. */
function frozenConvGrad(size: number, trainable = false): Graph {
  const g = new Graph();
  const x = g.input('x', 'float32', [1, 64, size, size]);
  const w = g.param('w', float32([64, 64, 3, 3], Float32Array.from({ length: 64 * 64 * 9 }, (_, i) => Math.sin(i * 0.37) * 0.05)), { trainable });
  const y = g.silu(g.conv2d(x, w, undefined, { padding: 1 }));
  return grad(g, g.reduceSum(g.mul(y, y), [0, 1, 2, 3]), [x]);
}

/** The graph ORT runs after its level-'all' optimisations (NCHWc included). */
async function optimized(bytes: Uint8Array, name: string): Promise<Proto> {
  const path = join(dir, `${name}.onnx`);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', optimizedModelFilePath: path, logSeverityLevel: 3 });
  await session.release();
  return decodeModel(new Uint8Array(readFileSync(path))) as unknown as Proto;
}

const kernels = (m: Proto): string[] => m.graph.initializer.filter((i) => i.dims?.length === 4 && i.dims[2] === 3 && i.dims[3] === 3).map((i) => i.name);
const blockedConvs = (m: Proto): number => m.graph.node.filter((n) => n.domain === 'com.microsoft.nchwc' && n.op_type === 'Conv').length;

test('a small-output frozen conv shares its one stored kernel between the forward Conv and the ConvTranspose, unblocked', async () => {
  const bytes = emitModel(frozenConvGrad(4));
  const emitted = decodeModel(bytes) as unknown as Proto;
  const reshapesOfW = emitted.graph.node.filter((n) => n.op_type === 'Reshape' && n.input[0] === 'w');
  assert.equal(reshapesOfW.length, 1, 'one opaque alias of w');
  const alias = (reshapesOfW[0] as unknown as { output: string[] }).output[0]!;
  assert.deepEqual(emitted.graph.node.filter((n) => n.input.includes('w')).map((n) => n.op_type), ['Reshape'], 'only the alias reads w');
  assert.deepEqual(emitted.graph.node.filter((n) => n.input.includes(alias)).map((n) => n.op_type).sort(), ['Conv', 'ConvTranspose']);
  const run = await optimized(bytes, 'shared');
  assert.deepEqual(kernels(run), ['w'], 'ORT keeps the stored kernel only');
  assert.equal(blockedConvs(run), 0);
});

test(`a frozen conv with ≥ ${FLIPPED_CONV_GRAD_MIN_POSITIONS} output positions runs forward and input-gradient as blocked Convs`, async () => {
  const bytes = emitModel(frozenConvGrad(32));
  const emitted = decodeModel(bytes) as unknown as Proto;
  assert.ok(!emitted.graph.node.some((n) => n.op_type === 'ConvTranspose'), 'flipped-kernel Conv, no ConvTranspose');
  const run = await optimized(bytes, 'blocked');
  assert.equal(blockedConvs(run), 2, 'forward and input-gradient both NCHWc');
  assert.equal(kernels(run).length, 2, 'two reordered kernels (w and its flip), the stored one dropped');
  assert.ok(!kernels(run).includes('w'));
});

test('the blocked flipped-kernel input-gradient and the shared ConvTranspose one equal the trainable-kernel gradient', async () => {
  for (const size of [4, 32]) {
    const x = float32([1, 64, size, size], Float32Array.from({ length: 64 * size * size }, (_, i) => Math.cos(i * 0.11)));
    const results: Float32Array[] = [];
    for (const trainable of [false, true]) {
      const session = await EngineSession.create(frozenConvGrad(size, trainable), { cacheDir: false });
      results.push((await session.run({ x }, [gradName('x')]))[gradName('x')]!.data as Float32Array);
      await session.release();
    }
    const [frozen, reference] = results as [Float32Array, Float32Array];
    let err = 0;
    let norm = 0;
    frozen.forEach((v, i) => ((err += (v - reference[i]!) ** 2), (norm += reference[i]! ** 2)));
    assert.ok(norm > 0 && Math.sqrt(err / norm) < 1e-5, `${size}²: relative error ${Math.sqrt(err / norm)}`);
  }
});

/** d loss / d x through two frozen linears: `small` [16, 16] (1 KiB) and `big` [64, 16] (4 KiB), on 8 rows. */
function frozenLinearsGrad(): Graph {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 4, 16]);
  const weight = (name: string, rows: number) => g.param(name, float32([rows, 16], Float32Array.from({ length: rows * 16 }, (_, i) => Math.sin(i * 0.29 + rows) * 0.2)), { trainable: false });
  const h = g.linear(x, weight('small', 16));
  const y = g.linear(g.silu(h), weight('big', 64));
  return grad(g, g.reduceSum(g.mul(y, y), [0, 1, 2]), [x]);
}

test('with prepackMaxBytes a larger linear weight reaches its Gemm and its gradient MatMul only through an opaque alias', () => {
  const emitted = decodeModel(emitModel(frozenLinearsGrad(), { prepackMaxBytes: 2048 })) as unknown as Proto;
  const readers = (name: string) => emitted.graph.node.filter((n) => n.input.includes(name)).map((n) => n.op_type).sort();
  assert.deepEqual(readers('small'), ['Gemm', 'MatMul'], 'the 1 KiB weight is read directly (ORT may prepack it)');
  assert.deepEqual(readers('big'), ['Reshape'], 'only the alias reads the 4 KiB weight');
  const alias = (emitted.graph.node.find((n) => n.op_type === 'Reshape' && n.input[0] === 'big') as unknown as { output: string[] }).output[0]!;
  assert.deepEqual(readers(alias), ['Gemm', 'MatMul']);
  const plain = decodeModel(emitModel(frozenLinearsGrad())) as unknown as Proto;
  assert.deepEqual(plain.graph.node.filter((n) => n.input.includes('big')).map((n) => n.op_type).sort(), ['Gemm', 'MatMul'], 'without the option no alias');
});

test('a session prepacking only the small linear weights computes the same gradient as one prepacking none or all', async () => {
  const x = float32([2, 4, 16], Float32Array.from({ length: 128 }, (_, i) => Math.cos(i * 0.13)));
  const results: Float32Array[] = [];
  for (const prepacking of [false, true, { maxWeightBytes: 2048 }]) {
    const session = await EngineSession.create(frozenLinearsGrad(), { cacheDir: false, prepacking });
    results.push((await session.run({ x }, [gradName('x')]))[gradName('x')]!.data as Float32Array);
    await session.release();
  }
  const [none, all, some] = results as [Float32Array, Float32Array, Float32Array];
  assert.ok(none.some((v) => Math.abs(v) > 1e-3), 'a nonzero gradient');
  for (const [name, r] of [['all', all], ['small only', some]] as const) {
    const worst = Math.max(...r.map((v, i) => Math.abs(v - none[i]!)));
    assert.ok(worst < 1e-5, `${name}: max |Δ| ${worst}`);
  }
});
