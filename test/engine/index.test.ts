// The example at the top of src/engine/index.ts runs and prints what it says.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EngineSession, Graph, grad, gradName } from '../../src/engine/index.ts';
import { float32 } from '../../src/tensor.ts';

test('the module example computes loss Σ silu(W·x)² = 3.6376 and a [2, 3] weight gradient', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'engine-example-'));
  try {
    const g = new Graph();
    const x = g.input('x', 'float32', [1, 3]);
    const w = g.param('proj.weight', float32([2, 3], [1, 0, 0, 0, 1, 0]), { trainable: true });
    const y = g.scope('head', () => g.silu(g.linear(x, w)));
    const loss = g.reduceSum(g.mul(y, y), [0, 1]);
    const session = await EngineSession.create(grad(g, loss, [w]), { cacheDir: dir });
    const out = await session.run({ x: float32([1, 3], [1, 2, 3]) });
    const silu = (v: number): number => v / (1 + Math.exp(-v));
    assert.ok(Math.abs(Number(out['loss']!.data[0]) - (silu(1) ** 2 + silu(2) ** 2)) < 1e-5);
    assert.ok(Math.abs(silu(1) ** 2 + silu(2) ** 2 - 3.6376) < 1e-4);
    assert.deepEqual(out[gradName(w)]!.shape, [2, 3]);
    // d/dW[0, j] = 2·silu(1)·silu'(1)·x_j
    const dsilu = (v: number): number => { const s = 1 / (1 + Math.exp(-v)); return s * (1 + v * (1 - s)); };
    assert.ok(Math.abs(Number(out[gradName(w)]!.data[2]) - 2 * silu(1) * dsilu(1) * 3) < 1e-4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
