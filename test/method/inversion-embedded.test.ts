// Textual inversion on the embedded model (shipped in the repo, so this never skips): with the library's default
// settings, 100 seeded steps on a benchmark layer lower its held-out masked loss by a stated factor. The fixture tiny
// models barely listen to their text (test/method/inversion.test.ts), so this is where a real reduction shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_MODEL_DIR } from '../../src/cli/model-option.ts';
import { loadCollage } from '../../src/collage/index.ts';
import { makeCase, writeCaseFiles } from '../../src/eval/index.ts';
import { evaluationLoss, evaluationSet, InversionProblem, invertLayer, inversionStreams, inversionTargets, resolveInversionOptions, type InversionTarget } from '../../src/method/index.ts';
import { StableDiffusion } from '../../src/models/index.ts';

let dir: string;
let model: StableDiffusion;
let cube: InversionTarget;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'inversion-embedded-'));
  model = await StableDiffusion.load(EMBEDDED_MODEL_DIR, { cacheDir: join(dir, 'cache') });
  const collage = await loadCollage((await writeCaseFiles(join(dir, 'case-0'), makeCase(0, 128))).path);
  const targets = inversionTargets(collage, model.vaeScaleFactor);
  assert.equal(targets[0]?.layer.text, 'a small blue cube', 'benchmark case 0 starts with its cube');
  cube = targets[0]!.target;
});
after(async () => {
  await model?.release();
  rmSync(dir, { recursive: true, force: true });
});

test('100 default-setting steps on the embedded model lower a benchmark layer\'s held-out masked loss by a factor > 1.05 (measured 1.092)', async (t) => {
  const tokenizer = await model.tokenizer();
  const opts = resolveInversionOptions({ steps: 100, seed: 0, cache: false }, model.collageDefaults.inversion);
  assert.deepEqual([opts.lr, opts.batch, opts.init], [4e-4, 4, 'head-noun'], 'the library defaults');
  // 32 fixed (t, noise) pairs on the unjittered layer, as scripts/inversion-curve.ts measures them.
  const evalProblem = await InversionProblem.create(model, tokenizer, cube, { batch: opts.batch, brightness: 0, contrast: 0, targetVariants: 1 }, inversionStreams(1, 'eval-target').jitter);
  const set = evaluationSet(evalProblem, 1, 32);
  const losses = new Map<number, number>();
  await invertLayer(model, tokenizer, cube, opts, 'cube', async (step, embedding) => {
    if (step === 0 || step === 100) losses.set(step, await evaluationLoss(evalProblem, set, embedding));
  });
  const [l0, l100] = [losses.get(0)!, losses.get(100)!];
  t.diagnostic(`held-out masked loss ${l0.toExponential(4)} → ${l100.toExponential(4)}, factor ${(l0 / l100).toFixed(4)}`);
  assert.ok(l0 / l100 > 1.05, `loss ${l0} → ${l100}`);
});
