import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EngineSession, Graph, grad, gradName } from '../../src/engine/index.ts';
import { float32 } from '../../src/tensor.ts';
import { BatchStream } from '../../src/train/data.ts';
import { ParamStore } from '../../src/train/param-store.ts';
import { scheduledLr, stageFiles, train, type LogLine, type TrainTask } from '../../src/train/trainer.ts';
import { rgbImage } from '../../src/world/index.ts';

const root = mkdtempSync(join(tmpdir(), 'trainer-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A 1×1 conv learning to halve noisy images: small enough to run a few steps per test. */
async function tinyTask(): Promise<TrainTask> {
  const params = new ParamStore('tiny');
  params.set('conv.weight', [3, 3, 1, 1], Float32Array.from({ length: 9 }, (_, i) => ((i * 7) % 5) / 10 - 0.2));
  params.set('conv.bias', [3], Float32Array.of(0.1, -0.1, 0));
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 3, 8, 8]);
  const w = g.param('conv.weight', params.get('conv.weight'), { trainable: true });
  const b = g.param('conv.bias', params.get('conv.bias'), { trainable: true });
  const d = g.sub(g.conv2d(x, w, b), g.mul(x, 0.5));
  const loss = g.reduceMean(g.mul(d, d), [0, 1, 2, 3]);
  const session = await EngineSession.create(grad(g, loss, [w, b]), { cacheDir: false });
  return {
    stage: 'tiny',
    params,
    batches: (start) => new BatchStream({ batchSize: 2, sizePx: 8 }, start),
    async step(batch, rng) {
      const images = batch.images.map((v) => v + 0.1 * (rng.next() - 0.5));
      const out = await session.run({ x: float32([2, 3, 8, 8], images) });
      return { loss: out['loss']!.data[0] as number, grads: { 'conv.weight': out[gradName(w)]!.data as Float32Array, 'conv.bias': out[gradName(b)]!.data as Float32Array } };
    },
    sample: async () => rgbImage(4, 4),
    close: () => session.release(),
  };
}

const options = { steps: 8, lr: 0.05, warmupSteps: 2, logEverySteps: 2, seed: 3 };

test('the learning rate warms up linearly, then decays by a cosine to lr · finalLrFraction', () => {
  const o = { lr: 1, warmupSteps: 10, finalLrFraction: 0.1, steps: 110 };
  assert.equal(scheduledLr(5, o), 0.5);
  assert.equal(scheduledLr(10, o), 1);
  assert.ok(Math.abs(scheduledLr(60, o) - 0.55) < 1e-12);
  assert.ok(Math.abs(scheduledLr(110, o) - 0.1) < 1e-12);
});

test('training lowers the loss and writes a log line every 2 steps, a checkpoint and sample grids', async () => {
  const task = await tinyTask();
  const result = await train(task, join(root, 'a'), options);
  const files = stageFiles(result.dir);
  const lines = readFileSync(files.log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogLine);
  assert.deepEqual(lines.map((l) => l.step), [2, 4, 6, 8]);
  assert.ok(lines[3]!.loss < lines[0]!.loss * 0.8, `loss ${lines[0]!.loss} → ${lines[3]!.loss}`);
  assert.equal(result.finished, true);
  assert.deepEqual(readdirSync(files.samples).sort(), ['step-000000.png', 'step-000008.png']);
  await task.close?.();
});

test('a run stopped after 3 steps and resumed from its checkpoint ends bit-identical to an uninterrupted run', async () => {
  const whole = await tinyTask();
  const a = await train(whole, join(root, 'whole'), options);
  const first = await tinyTask();
  const stopped = await train(first, join(root, 'resumed'), { ...options, stopAfterSteps: 3 });
  assert.equal(stopped.finished, false);
  assert.equal(stopped.steps, 3);
  await first.close?.();
  const second = await tinyTask(); // fresh process state: initial weights again, restored from the checkpoint
  const b = await train(second, join(root, 'resumed'), options);
  assert.equal(b.steps, 8);
  for (const name of whole.params.names()) {
    assert.deepEqual(second.params.readFloat32(name), whole.params.readFloat32(name), `param ${name}`);
    assert.deepEqual(b.ema.readFloat32(name), a.ema.readFloat32(name), `EMA ${name}`);
  }
  const steps = readFileSync(stageFiles(b.dir).log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as LogLine).step);
  assert.deepEqual(steps, [2, 4, 6, 8]);
  await whole.close?.();
  await second.close?.();
});

test('zero steps is rejected naming the option', async () => {
  await assert.rejects(train(await tinyTask(), join(root, 'bad'), { steps: 0 }), /steps 0 is not a positive integer/);
});
