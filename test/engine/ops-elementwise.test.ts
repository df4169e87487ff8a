// Elementwise and reduction ops: forward vs plain JS (float32) and gradients vs central differences (float64).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../../src/engine/autodiff.ts';
import { Graph, type Value } from '../../src/engine/graph.ts';
import { gradCheck, runForward } from './support/grad-check.ts';
import { map, random, reduce, relErr, type Arr } from './support/reference-ops.ts';

const FWD_TOL = 1e-5; // float32 vs float64 reference, relative to the largest value
const GRAD_TOL = 1e-3; // float64 autodiff vs central differences (h = 1e-5)

type Unary = [string, (g: Graph, x: Value) => Value, (v: number) => number, number];
const UNARY: Unary[] = [
  ['neg', (g, x) => g.neg(x), (v) => -v, 0],
  ['abs', (g, x) => g.abs(x), Math.abs, 0],
  ['exp', (g, x) => g.exp(x), Math.exp, 0],
  ['log', (g, x) => g.log(x), Math.log, 2],
  ['sqrt', (g, x) => g.sqrt(x), Math.sqrt, 2],
  ['tanh', (g, x) => g.tanh(x), Math.tanh, 0],
  ['sigmoid', (g, x) => g.sigmoid(x), (v) => 1 / (1 + Math.exp(-v)), 0],
  ['erf', (g, x) => g.erf(x), erf, 0],
  ['sin', (g, x) => g.sin(x), Math.sin, 0],
  ['cos', (g, x) => g.cos(x), Math.cos, 0],
  ['silu', (g, x) => g.silu(x), (v) => v / (1 + Math.exp(-v)), 0],
  ['gelu', (g, x) => g.gelu(x), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)), 0],
  ['quickGelu', (g, x) => g.quickGelu(x), (v) => v / (1 + Math.exp(-1.702 * v)), 0],
  ['relu', (g, x) => g.relu(x), (v) => Math.max(v, 0), 0],
];

/** Abramowitz–Stegun 7.1.26 is too coarse; use the series/continued fraction via erfc-free Taylor for |x| ≤ 3. */
function erf(x: number): number {
  let sum = 0;
  let term = x;
  for (let n = 0; n < 60; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

for (const [name, build, ref, shift] of UNARY) {
  test(`${name} matches the JS reference and its gradient matches finite differences`, async () => {
    // Inputs kept away from 0 for abs/relu (kinks) and positive for log/sqrt.
    const x: Arr = map([random([3, 4], 7)], (v) => v * 1.5 + shift + (shift === 0 && (name === 'abs' || name === 'relu') ? Math.sign(v) * 0.2 : 0));
    const y = await runForward((g, [a]) => build(g, a!), [{ name: 'x', value: x }]);
    assert.ok(relErr(y, map([x], ref).data) < FWD_TOL, `${name} forward`);
    assert.ok((await gradCheck((g, [a]) => build(g, a!), [{ name: 'x', value: x }])) < GRAD_TOL, `${name} gradient`);
  });
}

type Binary = [string, (g: Graph, a: Value, b: Value) => Value, (a: number, b: number) => number];
const BINARY: Binary[] = [
  ['add', (g, a, b) => g.add(a, b), (a, b) => a + b],
  ['sub', (g, a, b) => g.sub(a, b), (a, b) => a - b],
  ['mul', (g, a, b) => g.mul(a, b), (a, b) => a * b],
  ['div', (g, a, b) => g.div(a, b), (a, b) => a / b],
  ['pow', (g, a, b) => g.pow(a, b), (a, b) => a ** b],
];

for (const [name, build, ref] of BINARY) {
  test(`${name} broadcasts [2,3,4] with [3,1] in forward and gradients`, async () => {
    const a = map([random([2, 3, 4], 1)], (v) => v + 2);
    const b = map([random([3, 1], 2)], (v) => v + 2);
    const y = await runForward((g, [x, z]) => build(g, x!, z!), [{ name: 'a', value: a }, { name: 'b', value: b }]);
    assert.ok(relErr(y, map([a, b], ref).data) < FWD_TOL, `${name} forward`);
    const err = await gradCheck((g, [x, z]) => build(g, x!, z!), [{ name: 'a', value: a }, { name: 'b', value: b }]);
    assert.ok(err < GRAD_TOL, `${name} gradient rel err ${err}`);
  });
}

for (const act of ['gelu', 'silu'] as const) {
  test(`${act}'s backward reads its input alone: neither its output nor a composite intermediate is kept for it`, () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3]);
    const h = g.mul(x, x);
    const y = g[act](h);
    const dg = grad(g, g.reduceSum(y, [0, 1]), [x]);
    assert.equal(g.nodes.filter((n) => n.op === (act === 'gelu' ? 'Gelu' : 'Silu')).length, 1, 'one IR node');
    const forwardIds = new Set(g.nodes.flatMap((n) => n.outputs.map((o) => o.id)));
    const read = new Set(dg.nodes.slice(g.nodes.length).flatMap((n) => n.inputs.filter((v) => forwardIds.has(v.id)).map((v) => v.name)));
    assert.deepEqual([...read], [h.name]);
  });
}

test('where routes values and gradients by the condition, with broadcasting', async () => {
  const a = random([2, 3], 3);
  const b = random([3], 4);
  const build = (g: Graph, [x, z]: Value[]): Value => g.where(g.greater(x!, 0), x!, z!);
  const y = await runForward(build, [{ name: 'a', value: a }, { name: 'b', value: b }]);
  assert.ok(relErr(y, map([a, b], (u, v) => (u > 0 ? u : v)).data) < FWD_TOL);
  assert.ok((await gradCheck(build, [{ name: 'a', value: a }, { name: 'b', value: b }])) < GRAD_TOL);
});

for (const kind of ['sum', 'mean', 'max'] as const) {
  test(`reduce ${kind} over axes [0, 2] matches the JS reference and finite differences`, async () => {
    const x = random([3, 4, 5], 11);
    const build = (g: Graph, [v]: Value[]): Value => (kind === 'sum' ? g.reduceSum(v!, [0, 2]) : kind === 'mean' ? g.reduceMean(v!, [0, 2]) : g.reduceMax(v!, [0, -1], false));
    const y = await runForward(build, [{ name: 'x', value: x }]);
    assert.ok(relErr(y, reduce(x, [0, 2], kind).data) < FWD_TOL);
    assert.ok((await gradCheck(build, [{ name: 'x', value: x }])) < GRAD_TOL);
  });
}

test('a value used twice accumulates both gradient contributions', async () => {
  const x = random([4], 5);
  const err = await gradCheck((g, [v]) => g.add(g.mul(v!, v!), g.sin(v!)), [{ name: 'x', value: x }]);
  assert.ok(err < GRAD_TOL, `rel err ${err}`);
});

test('comparisons give bool masks and cast turns them into 0/1 floats; a float cast passes the gradient', async () => {
  const a = random([2, 3], 12);
  const b = random([3], 13);
  const build = (op: 'greater' | 'less' | 'equal') => (g: Graph, [x, z]: Value[]): Value => g.cast(op === 'equal' ? g.equal(x!, x!) : g[op](x!, z!), 'float32');
  const gt = await runForward(build('greater'), [{ name: 'a', value: a }, { name: 'b', value: b }]);
  assert.deepEqual([...gt], [...map([a, b], (u, v) => (u > v ? 1 : 0)).data]);
  const lt = await runForward(build('less'), [{ name: 'a', value: a }, { name: 'b', value: b }]);
  assert.deepEqual([...lt], [...map([a, b], (u, v) => (u < v ? 1 : 0)).data]);
  const eq = await runForward(build('equal'), [{ name: 'a', value: a }, { name: 'b', value: b }]);
  assert.deepEqual([...eq], [1, 1, 1, 1, 1, 1]);
  const err = await gradCheck((g, [x]) => g.mul(g.cast(g.cast(x!, 'float32'), 'float64'), 1), [{ name: 'a', value: a }], { h: 1e-3 });
  assert.ok(err < 1e-3, `cast gradient rel err ${err}`); // through float32 the loss is only float32-exact: larger step
});
