// Conv, ConvTranspose, MaxPool, norms, softmax and attention: forward vs plain JS (float32), gradients vs central
// differences in float64 (conv lowered to im2col + MatMul there, since ORT has no float64 Conv).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Graph, Value } from '../../src/engine/graph.ts';
import { float32VsFloat64, gradCheck, runForward, type CheckInput } from './support/grad-check.ts';
import { attention, conv2d, convTranspose2d, layerNorm, map, maxPool, random, relErr, softmax } from './support/reference-ops.ts';

const FWD_TOL = 1e-5; // float32 vs float64 reference, relative to the largest output
const GRAD_TOL = 1e-3; // float64 autodiff vs central differences (h = 1e-5)

const F32_GRAD_TOL = 1e-4; // float32 gradients (real ORT kernels and fusions) vs the checked float64 ones

async function check(build: (g: Graph, v: Value[]) => Value, inputs: CheckInput[], expected: ArrayLike<number>): Promise<void> {
  const y = await runForward(build, inputs);
  assert.equal(y.length, expected.length, 'output size');
  assert.ok(relErr(y, expected) < FWD_TOL, `forward rel err ${relErr(y, expected)}`);
  const err = await gradCheck(build, inputs);
  assert.ok(err < GRAD_TOL, `gradient rel err ${err}`);
  const f32 = await float32VsFloat64(build, inputs);
  assert.ok(f32 < F32_GRAD_TOL, `float32 gradient rel err ${f32}`);
}

const CONV_CASES = [
  { name: '3×3 pad 1', c: 3, o: 4, k: 3, stride: 1, pad: 1, groups: 1, hw: 5 },
  { name: '3×3 stride 2 pad 1 (downsample)', c: 2, o: 3, k: 3, stride: 2, pad: 1, groups: 1, hw: 6 },
  { name: '1×1', c: 4, o: 2, k: 1, stride: 1, pad: 0, groups: 1, hw: 3 },
  { name: 'grouped 3×3', c: 4, o: 6, k: 3, stride: 1, pad: 1, groups: 2, hw: 4 },
  { name: '2×2 stride 2 odd input', c: 2, o: 2, k: 2, stride: 2, pad: 0, groups: 1, hw: 5 },
];

for (const cc of CONV_CASES) {
  test(`conv2d ${cc.name}: forward, input-, weight- and bias-gradients`, async () => {
    const x = random([2, cc.c, cc.hw, cc.hw], 41);
    const w = random([cc.o, cc.c / cc.groups, cc.k, cc.k], 42);
    const b = random([cc.o], 43);
    await check(
      (g, [xv, wv, bv]) => g.conv2d(xv!, wv!, bv!, { stride: cc.stride, padding: cc.pad, groups: cc.groups }),
      [{ name: 'x', value: x }, { name: 'w', value: w }, { name: 'b', value: b }],
      conv2d(x, w, b, cc.stride, cc.pad, cc.groups).data,
    );
  });
}

test('convTranspose 4×4 stride 2 pad 1: forward and gradients', async () => {
  const x = random([1, 3, 3, 3], 44);
  const w = random([3, 2, 4, 4], 45);
  const b = random([2], 46);
  await check((g, [xv, wv, bv]) => g.convTranspose(xv!, wv!, bv!, { stride: 2, padding: 1 }), [{ name: 'x', value: x }, { name: 'w', value: w }, { name: 'b', value: b }], convTranspose2d(x, w, b, 2, 1).data);
});

test('maxPool 2×2 sends the gradient to each window maximum', async () => {
  const x = random([1, 2, 4, 4], 47);
  await check((g, [v]) => g.maxPool(v!, 2), [{ name: 'x', value: x }], maxPool(x, 2).data);
});

test('layerNorm over the last axis with gamma and beta', async () => {
  const x = random([2, 3, 6], 48);
  const gamma = map([random([6], 49)], (v) => v + 1);
  const beta = random([6], 50);
  await check((g, [v, ga, be]) => g.layerNorm(v!, ga!, be!, 1e-5), [{ name: 'x', value: x }, { name: 'gamma', value: gamma }, { name: 'beta', value: beta }], layerNorm(x, 2, 1e-5, gamma, beta).data);
});

test('groupNorm (2 groups of 4 channels) equals torch GroupNorm', async () => {
  const x = random([2, 4, 3, 3], 51);
  const gamma = map([random([4], 52)], (v) => v + 1);
  const beta = random([4], 53);
  const grouped = layerNorm({ shape: [2, 2, 18], data: x.data }, 2, 1e-5);
  const expected = map([{ shape: [2, 4, 3, 3], data: grouped.data }, { shape: [4, 1, 1], data: gamma.data }, { shape: [4, 1, 1], data: beta.data }], (v, ga, be) => v * ga + be);
  await check((g, [v, ga, be]) => g.groupNorm(v!, 2, ga!, be!, 1e-5), [{ name: 'x', value: x }, { name: 'gamma', value: gamma }, { name: 'beta', value: beta }], expected.data);
});

test('softmax over the last axis', async () => {
  const x = random([3, 5], 54, 2);
  await check((g, [v]) => g.softmax(v!, -1), [{ name: 'x', value: x }], softmax(x).data);
});

test('attention with 2 heads and a broadcast bias: forward and q/k/v/bias gradients', async () => {
  const q = random([2, 3, 4], 55);
  const k = random([2, 5, 4], 56);
  const v = random([2, 5, 4], 57);
  const bias = random([1, 2, 3, 5], 58);
  await check(
    (g, [qv, kv, vv, bv]) => g.attention(qv!, kv!, vv!, { heads: 2, bias: bv! }),
    [{ name: 'q', value: q }, { name: 'k', value: k }, { name: 'v', value: v }, { name: 'bias', value: bias }],
    attention(q, k, v, 2, 1 / Math.sqrt(2), bias).data,
  );
});

test('attention in query chunks of 2 (7 queries: 2+2+2+1): forward and q/k/v/bias gradients, per-query and per-key bias', async () => {
  const q = random([2, 7, 4], 65);
  const k = random([2, 5, 4], 66);
  const v = random([2, 5, 4], 67);
  for (const [biasShape, seed] of [[[1, 2, 7, 5], 68], [[2, 1, 1, 5], 69]] as const) {
    const bias = random([...biasShape], seed);
    await check(
      (g, [qv, kv, vv, bv]) => g.attention(qv!, kv!, vv!, { heads: 2, bias: bv!, queryChunk: 2 }),
      [{ name: 'q', value: q }, { name: 'k', value: k }, { name: 'v', value: v }, { name: 'bias', value: bias }],
      attention(q, k, v, 2, 1 / Math.sqrt(2), bias).data,
    );
  }
});

test('chunked attention keeps one Attention node and its unfused form scores one chunk at a time', async () => {
  const { Graph } = await import('../../src/engine/graph.ts');
  const { decodeModel, emitModel } = await import('../../src/engine/onnx.ts');
  const g = new Graph();
  const [qv, kv] = [g.input('q', 'float32', [1, 8, 4]), g.input('k', 'float32', [1, 6, 4])];
  g.output('y', g.attention(qv, kv, kv, { heads: 2, queryChunk: 3 }));
  assert.deepEqual(g.nodes.filter((n) => n.op === 'Attention').map((n) => n.attrs), [{ heads: 2, scale: 1 / Math.sqrt(2), queryChunk: 3 }]);
  const plain = g.clone();
  plain.differentiated = true;
  const nodes = (decodeModel(emitModel(plain))['graph'] as { node: { op_type: string }[] }).node.map((n) => n.op_type);
  assert.equal(nodes.filter((t) => t === 'Softmax').length, 3, 'chunks of 3, 3, 2 queries');
  assert.equal(nodes.filter((t) => t === 'MultiHeadAttention').length, 0);
  const fused = (decodeModel(emitModel(g.clone()))['graph'] as { node: { op_type: string }[] }).node.map((n) => n.op_type);
  assert.equal(fused.filter((t) => t === 'MultiHeadAttention').length, 1, 'the fused forward needs no chunks');
  const whole = new Graph();
  const q2 = whole.input('q', 'float32', [1, 8, 4]);
  whole.output('y', whole.attention(q2, q2, q2, { heads: 2, queryChunk: 8 }));
  assert.deepEqual(whole.nodes.find((n) => n.op === 'Attention')!.attrs, { heads: 2, scale: 1 / Math.sqrt(2) }, 'a chunk of all queries is no chunk');
});

test('fused (MultiHeadAttention) and unfused attention agree, with a [Tq, Tk] bias broadcast over batch and heads', async () => {
  const { Graph } = await import('../../src/engine/graph.ts');
  const { EngineSession } = await import('../../src/engine/runtime.ts');
  const { float32 } = await import('../../src/tensor.ts');
  const q = random([2, 6, 8], 60);
  const k = random([2, 7, 8], 61);
  const v = random([2, 7, 8], 62);
  const bias = random([6, 7], 63, 2);
  const g = new Graph();
  const [qv, kv, vv, bv] = [g.input('q', 'float32', q.shape), g.input('k', 'float32', k.shape), g.input('v', 'float32', v.shape), g.input('bias', 'float32', bias.shape)];
  g.output('y', g.attention(qv, kv, vv, { heads: 4, bias: bv }));
  const feeds = Object.fromEntries(Object.entries({ q, k, v, bias }).map(([n, a]) => [n, float32(a.shape, Float32Array.from(a.data))]));
  const expected = attention(q, k, v, 4, 1 / Math.sqrt(2), { shape: [1, 1, 6, 7], data: bias.data }).data;
  const { decodeModel, emitModel } = await import('../../src/engine/onnx.ts');
  const opTypes = (graph: InstanceType<typeof Graph>): unknown[] => ((decodeModel(emitModel(graph))['graph'] as { node: { op_type: string }[] }).node.map((n) => n.op_type));
  const fusedGraph = g.clone();
  const plainGraph = g.clone();
  plainGraph.differentiated = true; // emission keeps the unfused form for graphs with a backward pass
  assert.ok(opTypes(fusedGraph).includes('MultiHeadAttention'));
  assert.ok(!opTypes(plainGraph).includes('MultiHeadAttention') && opTypes(plainGraph).includes('Softmax'));
  for (const graph of [fusedGraph, plainGraph]) {
    const y = (await (await EngineSession.create(graph, { cacheDir: false })).run(feeds))['y']!.data as Float32Array;
    assert.ok(relErr(y, expected) < FWD_TOL, `differentiated=${graph.differentiated}: rel err ${relErr(y, expected)}`);
  }
});

test('conv input-gradient through a constant weight (ConvTranspose, or the blocked flipped Conv at 32²) equals the trainable-weight form (flipped Conv)', async () => {
  const { Graph: GraphClass } = await import('../../src/engine/graph.ts');
  const { grad, gradName } = await import('../../src/engine/autodiff.ts');
  const { EngineSession } = await import('../../src/engine/runtime.ts');
  const { float32 } = await import('../../src/tensor.ts');
  for (const { stride, padding, size } of [{ stride: 1, padding: 1, size: 8 }, { stride: 2, padding: 1, size: 8 }, { stride: 2, padding: 0, size: 9 }, { stride: 1, padding: 1, size: 32 }]) {
    const results: Float32Array[] = [];
    for (const trainable of [false, true]) {
      const g = new GraphClass();
      const x = g.input('x', 'float32', [2, 3, size, size]);
      const w = g.param('w', float32([4, 3, 3, 3], Float32Array.from(random([4, 3, 3, 3], 7).data)), { trainable });
      const y = g.conv2d(x, w, undefined, { stride, padding });
      const loss = g.reduceSum(g.mul(y, g.constant(float32(y.shape, Float32Array.from(random(y.shape, 9).data)), 'target')), [0, 1, 2, 3]);
      const session = await EngineSession.create(grad(g, loss, [x]), { cacheDir: false });
      const out = await session.run({ x: float32([2, 3, size, size], Float32Array.from(random([2, 3, size, size], 5).data)) });
      results.push(out[gradName(x)]!.data as Float32Array);
      await session.release();
    }
    assert.ok(relErr(results[0]!, results[1]!) < 1e-5, `stride ${stride} padding ${padding}: ${relErr(results[0]!, results[1]!)}`);
  }
});
