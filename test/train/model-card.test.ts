import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchmarkSection, BENCHMARK_COMMAND } from '../../src/train/model-card.ts';

test('the model card quotes each claim of a benchmark results.json with its interval and verdict', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'model-card-')), 'results.json');
  const claim = {
    id: 'spatial-vs-txt2img', statement: 'collage-diffusion is better than txt2img on spatial fidelity', verdict: 'holds',
    comparisons: [
      { metric: 'iou', better: 'higher', difference: 0.25, lo: 0.2, hi: 0.3, n: 100, verdict: 'holds' },
      { metric: 'objectRecall', better: 'higher', difference: -0.004, lo: -0.02, hi: 0.012, n: 100, verdict: 'not shown' },
    ],
  };
  writeFileSync(path, JSON.stringify({ cases: Array(100).fill({}), claims: [claim] }));
  const section = benchmarkSection(path);
  assert.match(section, /on 100 held-out cases/);
  assert.match(section, /\| collage-diffusion is better than txt2img on spatial fidelity: \*\*holds\*\* \| iou \(higher is better\) \| \+0\.250 \[\+0\.200, \+0\.300\] \| 100 \| holds \|/);
  assert.match(section, /\| {2}\| objectRecall \(higher is better\) \| -0\.0040 \[-0\.020, \+0\.012\] \| 100 \| not shown \|/);
  assert.match(section, /report\.md/);
});

test('without a results.json the model card gives the command that measures it', () => {
  assert.equal(benchmarkSection(undefined), `## Benchmark\nNot measured yet for these weights: \`${BENCHMARK_COMMAND}\`.\n`);
  assert.match(benchmarkSection('/nonexistent/results.json'), /Not measured yet/);
});
