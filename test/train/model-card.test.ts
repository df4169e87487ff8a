import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchmarkCommand, benchmarkSection, BENCHMARK_COMMAND, withBenchmarkSection } from '../../src/train/model-card.ts';

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
  assert.match(section, /\| collage-diffusion is better than txt2img on spatial fidelity: \*\*holds\*\* \| foreground IoU \(higher is better\) \| \+0\.250 \[\+0\.200, \+0\.300\] \| 100 \| holds \|/);
  assert.match(section, /\| {2}\| object recall \(higher is better\) \| -0\.0040 \[-0\.020, \+0\.012\] \| 100 \| not shown \|/);
  assert.match(section, /report\.md/);
});

test('without a results.json the model card gives the command that measures it', () => {
  assert.equal(benchmarkSection(undefined), `## Benchmark\nNot measured yet for these weights: \`${BENCHMARK_COMMAND}\`.\n`);
  assert.match(benchmarkSection('/nonexistent/results.json'), /Not measured yet/);
});

test('the command quoted for a results.json names its cases, methods and the --set overrides it recorded', () => {
  const results = {
    cases: Array(3).fill({}),
    methods: [{ id: 'txt2img' }, { id: 'collage-diffusion' }],
    settings: { txt2img: { model: 'embedded', weights: 'ab', steps: 20, seed: 0 }, 'collage-diffusion': { model: 'embedded', weights: 'ab', steps: 20, seed: 0, noise: 0.8, 'inversion-steps': 100 } },
  };
  assert.equal(benchmarkCommand(results, 'docs/benchmark'), 'collage-diffusion eval --cases 3 --methods txt2img,collage-diffusion --set inversion-steps=100 -o docs/benchmark');
});

test('a card gets its benchmark section before "## Limits", and a second run replaces it instead of adding another', () => {
  const card = '# card\n\n## Loss logs\nrows\n\n## Limits\nsmall\n';
  const once = withBenchmarkSection(card, undefined);
  assert.equal(once, `# card\n\n## Loss logs\nrows\n\n${benchmarkSection(undefined)}## Limits\nsmall\n`);
  const path = join(mkdtempSync(join(tmpdir(), 'model-card-')), 'results.json');
  writeFileSync(path, JSON.stringify({ cases: [{}], methods: [{ id: 'txt2img' }], settings: {}, summary: { txt2img: { iou: { mean: 0.25, lo: 0.2, hi: 0.3, n: 1 } } }, claims: [] }));
  const twice = withBenchmarkSection(once, path);
  assert.equal(twice.match(/## Benchmark/g)?.length, 1);
  assert.match(twice, /\| `txt2img` \| 0\.250 \|/);
  assert.match(twice, /\n## Limits\nsmall\n$/);
});
