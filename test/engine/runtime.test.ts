// Sessions: feed checks that name the input, the on-disk cache (hit on the second build, keyed by what shapes the
// emitted graph) and shared external data.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Graph } from '../../src/engine/graph.ts';
import { EngineSession } from '../../src/engine/runtime.ts';
import { InputError } from '../../src/errors.ts';
import { float32, int64 } from '../../src/tensor.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'engine-cache-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

function scaleGraph(size: number, weight: Float32Array): Graph {
  const g = new Graph();
  const x = g.input('x', 'float32', [size, 4]);
  const w = g.param('proj.weight', float32([4, weight.length / 4], weight));
  g.output('y', g.matmul(x, w));
  return g;
}

test('a feed of the wrong shape or dtype, or a missing feed, names the input', async () => {
  const s = await EngineSession.create(scaleGraph(2, new Float32Array(8).fill(1)), { cacheDir: false });
  await assert.rejects(s.run({ x: float32([3, 4]) }), (e: unknown) => e instanceof InputError && e.message.includes('input "x"') && e.message.includes('float32[2, 4]') && e.message.includes('float32[3, 4]'));
  await assert.rejects(s.run({ x: int64([2, 4], new Array(8).fill(0)) }), /input "x": expected float32\[2, 4\], received int64\[2, 4\]/);
  await assert.rejects(s.run({}), /input "x": missing feed/);
  await assert.rejects(s.run({ x: float32([2, 4]), nope: float32([1]) }), /"nope" is not an input of this graph/);
});

test('a second build of the same graph is a cache hit with the same results', async () => {
  const weight = Float32Array.from({ length: 8 }, (_, i) => i);
  const first = await EngineSession.create(scaleGraph(2, weight), { cacheDir });
  const second = await EngineSession.create(scaleGraph(2, weight), { cacheDir });
  assert.equal(first.timings.cacheHit, false);
  assert.equal(second.timings.cacheHit, true);
  assert.equal(second.timings.optimizedHit, true, 'ORT\'s optimised graph is reused too');
  const x = float32([2, 4], [1, 0, 0, 0, 0, 1, 0, 0]);
  assert.deepEqual([...(await second.run({ x }))['y']!.data], [0, 1, 2, 3]);
  const changed = await EngineSession.create(scaleGraph(2, weight.map((v) => v + 1)), { cacheDir });
  assert.equal(changed.timings.cacheHit, false, 'different weights, different key');
  assert.deepEqual([...(await changed.run({ x }))['y']!.data], [1, 2, 3, 4]);
});

test('variants of one model share a single external-data weights file', async () => {
  const dir = join(cacheDir, 'external');
  const weight = Float32Array.from({ length: 4 * 1024 }, (_, i) => i % 7);
  for (const size of [1, 3]) {
    const s = await EngineSession.create(scaleGraph(size, weight), { cacheDir: dir, externalDataBytes: 1024 });
    const out = await s.run({ x: float32([size, 4], new Float32Array(size * 4).fill(1)) });
    assert.equal(out['y']!.data[5], (5 % 7) + (1029 % 7) + (2053 % 7) + (3077 % 7));
  }
  const files = readdirSync(dir);
  const bins = files.filter((f) => f.endsWith('.bin'));
  assert.equal(bins.length, 1, `one weights file, got ${files.join(', ')}`);
  assert.equal(files.filter((f) => f.endsWith('.onnx')).length, 2);
  for (const f of files.filter((f) => f.endsWith('.onnx'))) assert.ok(statSync(join(dir, f)).size < 4096, `${f} holds no weights`);
});

test('selective prepacking keys the cache apart from full prepacking (the emitted graph differs), and hits on its second build', async () => {
  const dir = join(cacheDir, 'prepack');
  const weight = Float32Array.from({ length: 8 }, (_, i) => i);
  const x = float32([2, 4], [1, 0, 0, 0, 0, 1, 0, 0]);
  const hits: boolean[] = [];
  for (const prepacking of [true, { maxWeightBytes: 16 }, { maxWeightBytes: 16 }]) {
    const s = await EngineSession.create(scaleGraph(2, weight), { cacheDir: dir, prepacking });
    hits.push(s.timings.cacheHit);
    assert.deepEqual([...(await s.run({ x }))['y']!.data], [0, 1, 2, 3]);
    await s.release();
  }
  assert.deepEqual(hits, [false, false, true]);
});
