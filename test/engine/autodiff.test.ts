// Autodiff: pruning to the requested paths, backward node names, missing rules, and the composite acceptance check
// (conv + norm + attention network: gradients vs finite differences, 200 AdamW steps fitting a fixed target).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad, gradName } from '../../src/engine/autodiff.ts';
import { Graph, type Value } from '../../src/engine/graph.ts';
import { AdamW } from '../../src/engine/optim.ts';
import { EngineSession } from '../../src/engine/runtime.ts';
import { ModelError } from '../../src/errors.ts';
import { float32, int64, type Tensor } from '../../src/tensor.ts';
import { gradCheck } from './support/grad-check.ts';
import { random, type Arr } from './support/reference-ops.ts';

test('only nodes between the requested input and the loss get backward nodes, named <forward>/grad', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.param('w', float32([3, 3]), { trainable: true });
  const h = g.scope('layer', () => g.tanh(g.matmul(x, w)));
  const loss = g.reduceSum(g.mul(h, h), [0, 1]);
  const dg = grad(g, loss, [x]);
  const backward = dg.nodes.slice(g.nodes.length);
  assert.ok(backward.length > 0);
  for (const n of backward) assert.match(n.name, /^(reducesum|mul|layer\.tanh|layer\.matmul)\/grad/, n.name);
  assert.ok(dg.outputs.has('grad:x') && dg.outputs.has('loss'));
  assert.equal(g.nodes.length, 4, 'the forward graph is left untouched');
});

test('differentiating through an op without a rule names the op and why', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [3]);
  const loss = g.reduceSum(g.mul(g.cast(g.greater(x, 0), 'float32'), x), [0]);
  // The comparison path is a non-differentiable branch that autodiff must skip, not fail on.
  assert.ok(grad(g, loss, [x]).outputs.has('grad:x'));
  const g2 = new Graph();
  const t = g2.input('t', 'float32', [3, 2]);
  const idx = g2.input('i', 'int64', [2]);
  const scattered = g2.op('ScatterAdd', [t, g2.unsqueeze(idx, [-1]), g2.input('u', 'float32', [2, 2])], {});
  assert.throws(() => grad(g2, g2.reduceSum(scattered, [0, 1]), [t]), (e: unknown) => e instanceof ModelError && /ScatterAdd has no gradient \(second-order/.test(e.message));
});

test('an embedding gather and a one-element loss give per-token gradients', async () => {
  const g = new Graph();
  const table = g.input('table', 'float32', [4, 2]);
  const ids = g.input('ids', 'int64', [3]);
  const loss = g.reduceSum(g.gather(table, ids), [0, 1]);
  const s = await EngineSession.create(grad(g, loss, [table]), { cacheDir: false });
  const out = await s.run({ table: float32([4, 2]), ids: int64([3], [2, 0, 2]) });
  assert.deepEqual([...out[gradName(table)]!.data], [1, 1, 0, 0, 2, 2, 0, 0]);
});

/** The composite network: conv 3×3 → group norm → SiLU → self-attention over pixels → linear; [1, 2, 4, 4] → [1, 16, 4]. */
function network(g: Graph, x: Value, p: Record<string, Value>): Value {
  const h = g.scope('block', () => g.silu(g.groupNorm(g.conv2d(x, p['conv.weight']!, p['conv.bias']!, { padding: 1 }), 2, p['norm.weight']!, p['norm.bias']!)));
  const tokens = g.transpose(g.reshape(h, [1, 4, 16]), [0, 2, 1]);
  const attn = g.scope('attn', () => g.attention(g.linear(tokens, p['q.weight']!), g.linear(tokens, p['k.weight']!), g.linear(tokens, p['v.weight']!), { heads: 2 }));
  return g.linear(g.add(attn, tokens), p['out.weight']!, p['out.bias']!);
}

const SHAPES: Record<string, number[]> = {
  'conv.weight': [4, 2, 3, 3], 'conv.bias': [4], 'norm.weight': [4], 'norm.bias': [4],
  'q.weight': [4, 4], 'k.weight': [4, 4], 'v.weight': [4, 4], 'out.weight': [4, 4], 'out.bias': [4],
};

function init(seed: number): Record<string, Arr> {
  const out: Record<string, Arr> = {};
  Object.entries(SHAPES).forEach(([name, shape], i) => {
    const r = random(shape, seed + i, 0.5);
    out[name] = name === 'norm.weight' ? { shape, data: r.data.map((v) => 1 + v) } : r;
  });
  return out;
}

test('composite conv + norm + attention network: autodiff gradients equal finite differences (float64)', async () => {
  const params = init(100);
  const names = Object.keys(SHAPES);
  const inputs = [{ name: 'x', value: random([1, 2, 4, 4], 99) }, ...names.map((name) => ({ name, value: params[name]! }))];
  const err = await gradCheck((g, [x, ...ps]) => network(g, x!, Object.fromEntries(names.map((n, i) => [n, ps[i]!]))), inputs, { maxElements: 12 });
  console.log(`# composite gradient check: max relative error ${err.toExponential(2)}`);
  assert.ok(err < 1e-3, `max relative error ${err}`);
});

test('200 AdamW steps fit the composite network to a fixed target (loss falls more than 100×)', async () => {
  const teacher = init(300);
  const student = init(500);
  const x = float32([1, 2, 4, 4], Float32Array.from(random([1, 2, 4, 4], 7).data));
  // The target is the teacher network's output, so an exact fit exists.
  const tg = new Graph();
  const tParams = Object.fromEntries(Object.entries(teacher).map(([n, a]) => [n, tg.param(n, float32(a.shape, Float32Array.from(a.data)))]));
  tg.output('y', network(tg, tg.input('x', 'float32', [1, 2, 4, 4]), tParams));
  const target = (await (await EngineSession.create(tg, { cacheDir: false })).run({ x }))['y']!;

  const g = new Graph();
  const arrays = new Map<string, Float32Array>();
  const sParams: Record<string, Value> = {};
  for (const [n, a] of Object.entries(student)) {
    const data = Float32Array.from(a.data);
    arrays.set(n, data);
    sParams[n] = g.param(n, float32(a.shape, data), { trainable: true });
  }
  const y = network(g, g.input('x', 'float32', [1, 2, 4, 4]), sParams);
  const diff = g.sub(y, g.input('target', 'float32', target.shape));
  const loss = g.reduceMean(g.mul(diff, diff), [0, 1, 2]);
  const session = await EngineSession.create(grad(g, loss, Object.values(sParams)), { cacheDir: false });
  const opt = new AdamW(arrays, { lr: 0.03, weightDecay: 0, maxGradNorm: 10, warmupSteps: 10 });
  const losses: number[] = [];
  for (let step = 0; step < 200; step++) {
    const out: Record<string, Tensor> = await session.run({ x, target });
    losses.push(Number(out['loss']!.data[0]));
    opt.update(Object.fromEntries([...arrays.keys()].map((n) => [n, out[gradName(n)]!.data as Float32Array])));
  }
  const final = Number((await session.run({ x, target }, ['loss']))['loss']!.data[0]);
  console.log(`# composite fit: loss ${losses[0]} → ${final} (${(losses[0]! / final).toFixed(0)}× in 200 AdamW steps)`);
  assert.ok(losses[0]! / final > 100, `loss ${losses[0]} → ${final} (${(losses[0]! / final).toFixed(1)}×)`);
});

test('a checkpointed block is recomputed in the backward pass and its gradients still match finite differences', async () => {
  const params = init(700);
  const names = Object.keys(SHAPES);
  const inputs = [{ name: 'x', value: random([1, 2, 4, 4], 98) }, ...names.map((name) => ({ name, value: params[name]! }))];
  const build = (g: Graph, [x, ...ps]: Value[]): Value => g.checkpoint(() => network(g, x!, Object.fromEntries(names.map((n, i) => [n, ps[i]!]))));
  const err = await gradCheck(build, inputs, { maxElements: 8 });
  assert.ok(err < 1e-3, `max relative error ${err}`);
  // The recomputed copies survive dead-node removal, i.e. the rules really use them.
  const g = new Graph();
  const x = g.input('x', 'float32', [1, 2, 4, 4]);
  const p = Object.fromEntries(names.map((n) => [n, g.param(n, float32(SHAPES[n]!), { trainable: true })]));
  const y = g.checkpoint(() => network(g, x, p));
  const { decodeModel, emitModel } = await import('../../src/engine/onnx.ts');
  const nodes = (decodeModel(emitModel(grad(g, g.reduceSum(y, [0, 1, 2]), [x]))) ['graph'] as { node: { name: string }[] }).node;
  assert.ok(nodes.filter((n) => n.name.includes('/recompute')).length > 10, 'recomputed forward nodes are emitted');
});
