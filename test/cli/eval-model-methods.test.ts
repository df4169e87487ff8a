import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { referenceSkip } from '../support/reference.ts';
import { makeTinyModelFolder } from '../support/tiny-model.ts';

test('eval runs the model-based methods on benchmark cases with a given model and reports them', { skip: referenceSkip() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'collage-eval-'));
  process.env['COLLAGE_CACHE_DIR'] = join(dir, 'cache');
  const model = makeTinyModelFolder();
  const code = await main(['eval', '--cases', '2', '--size', '64', '--methods', 'sdedit,sdedit@0.8,collage-diffusion,txt2img', '--set', `model=${model}`, '--set', 'steps=2', '--set', 'inversion-steps=2', '-o', join(dir, 'report')]);
  assert.equal(code, 0);
  const report = readFileSync(join(dir, 'report', 'report.md'), 'utf8');
  for (const id of ['sdedit', 'sdedit@0.8', 'collage-diffusion', 'txt2img']) assert.match(report, new RegExp(`\\| ${id} `));
  // each line records what its output depends on: the model's weights, steps, seed, the strength, inversion steps
  const lines = readFileSync(join(dir, 'report', 'cases.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { method: string; settings: Record<string, unknown> });
  assert.equal(lines.length, 8);
  const settings = (id: string) => lines.find((l) => l.method === id)!.settings;
  assert.deepEqual(Object.keys(settings('sdedit@0.8')).sort(), ['model', 'noise', 'seed', 'steps', 'weights']);
  assert.equal(settings('sdedit@0.8')['noise'], 0.8);
  assert.equal(settings('collage-diffusion')['inversion-steps'], 2);
  assert.match(String(settings('txt2img')['weights']), /^[0-9a-f]{16}$/);
});
