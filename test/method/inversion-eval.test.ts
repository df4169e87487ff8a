// The held-out evaluation of textual inversion (method/inversion-eval.ts) on the fixture tiny models: a fixed seeded
// set of draws, its mean masked loss through the optimisation's own loss, and the per-step observer of invertLayer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.ts';
import { evaluationLoss, evaluationSet } from '../../src/method/inversion-eval.ts';
import { InversionProblem, type InversionTarget } from '../../src/method/inversion-problem.ts';
import { invertLayer, inversionStreams } from '../../src/method/inversion.ts';
import { resolveInversionOptions } from '../../src/method/inversion-options.ts';
import { StableDiffusion } from '../../src/models/index.ts';
import { referenceSkip } from '../support/reference.ts';
import { makeTinyModelFolder } from '../support/tiny-model.ts';

const skip = referenceSkip();
let model: StableDiffusion;

before(async () => {
  if (skip) return;
  model = await StableDiffusion.load(makeTinyModelFolder(), { cacheDir: mkdtempSync(join(tmpdir(), 'collage-cache-')) });
});
after(async () => model?.release());

/** 32×32 canvas (16×16 latents): a red square on a green ground, the square as loss mask. */
function target(): InversionTarget {
  const rgb = new Float32Array(32 * 32 * 3);
  const lossMask = new Float32Array(16 * 16);
  for (let p = 0; p < 32 * 32; p++) {
    const [x, y] = [p % 32, Math.floor(p / 32)];
    const inside = x >= 8 && x < 24 && y >= 8 && y < 24;
    rgb.set(inside ? [0.9, 0.1, 0.1] : [0.1, 0.6, 0.2], p * 3);
    if (inside) lossMask[(y >> 1) * 16 + (x >> 1)] = 1;
  }
  return { rgb, width: 32, height: 32, lossMask, text: 'red ball', token: '<ball>' };
}

async function problem(batch: number): Promise<InversionProblem> {
  return InversionProblem.create(model, await model.tokenizer(), target(), { batch, brightness: 0, contrast: 0, targetVariants: 1 }, inversionStreams(1, 'eval-target').jitter);
}

test('an evaluation set is pairs / batch batches of seeded draws: the same seed gives the same draws, another seed others', { skip }, async () => {
  const p = await problem(2);
  const set = evaluationSet(p, 7, 8);
  assert.deepEqual(set.map((b) => b.length), [2, 2, 2, 2]);
  const again = evaluationSet(p, 7, 8);
  assert.deepEqual(again.flat().map((d) => [d.t, d.template, d.variant]), set.flat().map((d) => [d.t, d.template, d.variant]));
  assert.deepEqual(again[3]![1]!.noise, set[3]![1]!.noise);
  assert.notDeepEqual(evaluationSet(p, 8, 8).flat().map((d) => d.t), set.flat().map((d) => d.t));
  for (const d of set.flat()) assert.ok(Number.isInteger(d.t) && d.t >= 0 && d.t < 1000 && d.variant === 0 && d.noise.length === 4 * 16 * 16);
});

test('a pair count that is not a multiple of the batch is an InputError naming a valid count', { skip }, async () => {
  const p = await problem(2);
  assert.throws(() => evaluationSet(p, 7, 5), (e: unknown) => e instanceof InputError && e.message.includes('5 evaluation pairs for a batch of 2') && e.message.includes('use a multiple of 2'));
});

test('the evaluation loss is the mean of the objective over the set\'s batches, and depends on the embedding', { skip }, async () => {
  const p = await problem(2);
  const set = evaluationSet(p, 7, 6);
  const a = p.initialEmbedding('a');
  const byHand = (await Promise.all(set.map(async (draws) => (await p.lossAndGradient(draws, a)).loss))).reduce((s, l) => s + l, 0) / 3;
  const loss = await evaluationLoss(p, set, a);
  assert.ok(Math.abs(loss - byHand) <= 1e-7 * byHand, `${loss} vs ${byHand}`);
  assert.ok(loss > 0 && Number.isFinite(loss));
  assert.equal(await evaluationLoss(p, set, a), loss, 'the same set and embedding give the same loss');
  assert.notEqual(await evaluationLoss(p, set, p.initialEmbedding('head-noun')), loss);
});

test('invertLayer shows its observer the embedding before step 1 and after every step, ending at the returned vector', { skip }, async () => {
  const tokenizer = await model.tokenizer();
  const opts = resolveInversionOptions({ steps: 3, batch: 1, targetVariants: 1, seed: 2 });
  const seen: { step: number; embedding: Float32Array }[] = [];
  const result = await invertLayer(model, tokenizer, target(), opts, 'ball', (step, embedding) => void seen.push({ step, embedding: embedding.slice() }));
  assert.deepEqual(seen.map((s) => s.step), [0, 1, 2, 3]);
  assert.deepEqual(seen[3]!.embedding, result);
  assert.notDeepEqual(seen[0]!.embedding, seen[1]!.embedding, 'a step moves the embedding');
  const p = await problem(1);
  assert.deepEqual(seen[0]!.embedding, p.initialEmbedding('head-noun'), 'step 0 is the initial embedding (default init)');
});
