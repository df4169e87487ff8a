// AdamW, clipping and warm-up against hand-computed torch.optim.AdamW steps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdamW, clipGradNorm, warmupLr } from '../../src/engine/optim.ts';

test('the first AdamW step moves each weight by lr·sign(g) after decoupled decay', () => {
  const p = Float32Array.of(1, -2);
  const opt = new AdamW(new Map([['w', p]]), { lr: 0.1, weightDecay: 0.5 });
  opt.update({ w: Float32Array.of(3, -0.5) });
  // torch: p·(1 − lr·wd), then − lr·m̂/(√v̂ + eps) with m̂ = g, √v̂ = |g| on step 1.
  assert.ok(Math.abs(p[0]! - (1 * 0.95 - 0.1)) < 1e-6);
  assert.ok(Math.abs(p[1]! - (-2 * 0.95 + 0.1)) < 1e-6);
});

test('the second AdamW step uses bias-corrected moments', () => {
  const p = Float32Array.of(0);
  const opt = new AdamW(new Map([['w', p]]), { lr: 1, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 0 });
  opt.update({ w: Float32Array.of(1) });
  opt.update({ w: Float32Array.of(3) });
  const m = (0.9 * 0.1 * 1 + 0.1 * 3) / (1 - 0.81);
  const v = (0.999 * 0.001 * 1 + 0.001 * 9) / (1 - 0.999 ** 2);
  assert.ok(Math.abs(p[0]! - (-1 - m / Math.sqrt(v))) < 1e-5, `got ${p[0]}`);
});

test('gradient clipping scales the global norm to the limit and reports the norm before', () => {
  const a = Float32Array.of(3, 0);
  const b = Float32Array.of(0, 4);
  assert.equal(clipGradNorm([a, b], 1), 5);
  assert.ok(Math.abs(Math.hypot(a[0]!, b[1]!) - 1) < 1e-5);
});

test('warm-up ramps the learning rate linearly and then holds it', () => {
  assert.equal(warmupLr(1, 1e-3, 10), 1e-4);
  assert.equal(warmupLr(10, 1e-3, 10), 1e-3);
  assert.equal(warmupLr(50, 1e-3, 0), 1e-3);
});

test('a missing gradient is reported by param name', () => {
  const opt = new AdamW(new Map([['a', new Float32Array(1)], ['b', new Float32Array(2)]]));
  assert.throws(() => opt.update({ a: new Float32Array(1) }), /param b: no gradient given/);
});

test('a given lr overrides the warm-up, and a restored state continues exactly like the original', () => {
  const grads = [Float32Array.of(0.3, -1), Float32Array.of(-0.2, 0.5), Float32Array.of(1, 1)];
  const pa = Float32Array.of(1, 2);
  const a = new AdamW(new Map([['w', pa]]), { lr: 0.1, warmupSteps: 100 });
  assert.equal(a.update({ w: grads[0]!.slice() }, 0.05).lr, 0.05);
  const pb = pa.slice();
  const b = new AdamW(new Map([['w', pb]]), { lr: 0.1, warmupSteps: 100 });
  b.loadState(a.state());
  assert.equal(b.step, 1);
  for (const g of grads.slice(1)) {
    a.update({ w: g.slice() }, 0.05);
    b.update({ w: g.slice() }, 0.05);
  }
  assert.deepEqual(pb, pa);
  assert.throws(() => b.loadState({ step: 1, m: new Map(), v: new Map() }), /optimizer state m is missing/);
});
