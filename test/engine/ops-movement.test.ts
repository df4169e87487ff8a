// Movement ops and MatMul: forward vs plain JS (float32), gradients vs central differences (float64).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../../src/engine/autodiff.ts';
import { Graph, type Value } from '../../src/engine/graph.ts';
import { float32, int64 } from '../../src/tensor.ts';
import { gradCheck, runForward, type CheckInput } from './support/grad-check.ts';
import { arr, matmul, random, relErr, resizeNearest2x, transpose, type Arr } from './support/reference-ops.ts';

const FWD_TOL = 1e-5; // float32 vs float64 reference
const GRAD_TOL = 1e-3; // float64 autodiff vs central differences

async function check(build: (g: Graph, v: Value[]) => Value, inputs: CheckInput[], expected: ArrayLike<number>): Promise<void> {
  const y = await runForward(build, inputs);
  assert.equal(y.length, expected.length, 'output size');
  assert.ok(relErr(y, expected) < FWD_TOL, `forward rel err ${relErr(y, expected)}`);
  const err = await gradCheck(build, inputs);
  assert.ok(err < GRAD_TOL, `gradient rel err ${err}`);
}

const x234 = random([2, 3, 4], 21);

test('reshape and transpose move values like the reference', async () => {
  await check((g, [x]) => g.transpose(g.reshape(x!, [6, 4]), [1, 0]), [{ name: 'x', value: x234 }], transpose(arr([6, 4], x234.data), [1, 0]).data);
});

test('concat and split along an inner axis round-trip values and gradients', async () => {
  const b = random([2, 2, 4], 22);
  const expected: number[] = [];
  for (let i = 0; i < 2; i++) expected.push(...x234.data.slice(i * 12, i * 12 + 12), ...b.data.slice(i * 8, i * 8 + 8));
  await check((g, [x, y]) => g.concat([x!, y!], 1), [{ name: 'x', value: x234 }, { name: 'b', value: b }], expected);
  // split: the second piece only, so the unused first piece gets a zero gradient.
  const second: number[] = [];
  for (let i = 0; i < 2; i++) second.push(...x234.data.slice(i * 12 + 4, i * 12 + 12));
  await check((g, [x]) => g.split(x!, 1, [1, 2])[1]!, [{ name: 'x', value: x234 }], second);
});

test('slice with a step takes every other column and pads the gradient back', async () => {
  const expected: number[] = [];
  for (let i = 0; i < 6; i++) expected.push(x234.data[i * 4 + 1]!, x234.data[i * 4 + 3]!);
  await check((g, [x]) => g.slice(x!, [2], [1], [4], [2]), [{ name: 'x', value: x234 }], expected);
});

test('gather with repeated indices accumulates the scatter-add gradient', async () => {
  const table = random([5, 3], 23);
  const idx = int64([2, 2], [4, 1, 4, 0]);
  const expected = [4, 1, 4, 0].flatMap((r) => [...table.data.slice(r * 3, r * 3 + 3)]);
  await check((g, [t, i]) => g.gather(t!, i!, 0), [{ name: 't', value: table }, { name: 'i', value: table, fixed: idx }], expected);
  // gather on axis 1
  const cols = [0, 1, 2, 3, 4].flatMap((r) => [table.data[r * 3 + 2]!, table.data[r * 3]!]);
  await check((g, [t, i]) => g.gather(t!, i!, 1), [{ name: 't', value: table }, { name: 'i', value: table, fixed: int64([2], [2, 0]) }], cols);
});

test('expand, pad and unsqueeze/squeeze broadcast and un-broadcast gradients', async () => {
  const v = random([3, 1], 24);
  const expected = [...v.data].flatMap((a) => [a, a, a, a]);
  await check((g, [x]) => g.expand(x!, [2, 3, 4]), [{ name: 'v', value: v }], [...expected, ...expected]);
  const p = random([2, 2], 25);
  const padded = [0, 0, 0, 0, 0, p.data[0]!, p.data[1]!, 0, 0, p.data[2]!, p.data[3]!, 0];
  await check((g, [x]) => g.squeeze(g.pad(g.unsqueeze(x!, [0]), [0, 1, 1, 0, 0, 1]), [0]), [{ name: 'p', value: p }], padded);
});

test('nearest ×2 resize copies each pixel to a 2×2 block', async () => {
  const x = random([1, 2, 2, 3], 26);
  await check((g, [v]) => g.resizeNearest2x(v!), [{ name: 'x', value: x }], resizeNearest2x(x).data);
});

test('matmul broadcasts a 2-D weight over a batch and a batch over batches', async () => {
  const a = random([2, 3, 4], 27);
  const w = random([4, 5], 28);
  await check((g, [x, y]) => g.matmul(x!, y!), [{ name: 'a', value: a }, { name: 'w', value: w }], matmul(a, w).data);
  const b: Arr = random([1, 4, 2], 29);
  await check((g, [x, y]) => g.matmul(x!, y!), [{ name: 'a', value: a }, { name: 'b', value: b }], matmul(a, b).data);
});

test('linear multiplies by the transposed torch-layout weight and adds the bias', async () => {
  const x = random([2, 3], 30);
  const w = random([4, 3], 31);
  const b = random([4], 32);
  const expected = matmul(x, transpose(w, [1, 0])).data.map((v, i) => v + b.data[i % 4]!);
  await check((g, [v, wt, bs]) => g.linear(v!, wt!, bs!), [{ name: 'x', value: x }, { name: 'w', value: w }, { name: 'b', value: b }], expected);
});

test('linear over a batch of token rows, with and without a bias, matches the reference and its gradients', async () => {
  const x = random([2, 3, 4], 33);
  const w = random([5, 4], 34);
  const b = random([5], 35);
  const product = matmul(x, transpose(w, [1, 0])).data;
  await check((g, [v, wt, bs]) => g.linear(v!, wt!, bs!), [{ name: 'x', value: x }, { name: 'w', value: w }, { name: 'b', value: b }], product.map((v, i) => v + b.data[i % 5]!));
  await check((g, [v, wt]) => g.linear(v!, wt!), [{ name: 'x', value: x }, { name: 'w', value: w }], product);
});

test('a differentiated linear reads its stored weight directly: no Transpose of the weight to constant-fold', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 3, 4]);
  const w = g.param('w', float32([5, 4], Float32Array.from(random([5, 4], 36).data)));
  const loss = g.reduceSum(g.linear(x, w), [0, 1, 2]);
  const dg = grad(g, loss, [x]);
  const readers = dg.nodes.filter((n) => n.inputs.some((v) => v.id === w.id));
  assert.deepEqual(readers.map((n) => n.op).sort(), ['Linear', 'MatMul']);
});
