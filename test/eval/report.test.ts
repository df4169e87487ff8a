import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveEvalMethods } from '../../src/eval/methods.ts';
import { writeReport } from '../../src/eval/report.ts';
import { runBenchmark } from '../../src/eval/runner.ts';
import { summarizeRun } from '../../src/eval/run.ts';

test('the report runs end to end and ranks the ground truth above the naive collage with intervals', async () => {
  const run = await runBenchmark(resolveEvalMethods(['naive', 'ground-truth']), {
    cases: 12,
    sizePx: 64,
    keepOutputs: 2,
  });
  const summary = summarizeRun(run, 500);
  const naive = summary['naive']!;
  const truth = summary['ground-truth']!;
  assert.equal(truth.iou.mean, 1);
  assert.equal(truth.shadowError.hi, 0);
  // harmonization separates them: the naive interval lies wholly above the ground truth's zero
  assert.ok(naive.shadowError.lo > 0, `naive shadow error ${JSON.stringify(naive.shadowError)}`);
  assert.ok(
    naive.lightGainDeviation.lo > 0.1,
    `naive light gain ${JSON.stringify(naive.lightGainDeviation)}`,
  );
  assert.ok(naive.shadowError.lo <= naive.shadowError.mean && naive.shadowError.mean <= naive.shadowError.hi);

  const dir = await mkdtemp(join(tmpdir(), 'report-'));
  try {
    await writeReport(dir, run);
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    assert.match(md, /\| naive \| 0\.\d{3} \[0\.\d{3}, 0\.\d{3}\]/);
    assert.match(md, /\| ground-truth \| 1\.000 \[1\.000, 1\.000\]/);
    const png = await readFile(join(dir, 'metrics.png'));
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
    assert.match(await readFile(join(dir, 'metrics.svg'), 'utf8'), /<svg[^>]*>[\s\S]*foreground IoU/);
    assert.ok((await stat(join(dir, 'grid.png'))).size > 1000);
    const json = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as {
      results: Record<string, { index: number }[]>;
    };
    assert.deepEqual(
      json.results['naive']!.map((r) => r.index),
      Array.from({ length: 12 }, (_, i) => i),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an unknown method is refused with the known ids', () => {
  assert.throws(
    () => resolveEvalMethods(['naive', 'sdedit-x']),
    /unknown method "sdedit-x".*naive, ground-truth/,
  );
});

test('a method returning the wrong size is refused, naming the method and the case', async () => {
  const bad = {
    id: 'tiny',
    description: 'wrong size',
    generate: () => Promise.resolve({ width: 8, height: 8, data: new Float32Array(192) }),
  };
  await assert.rejects(
    runBenchmark([bad], { cases: 1, sizePx: 64 }),
    /method "tiny" returned a 8×8 image .* for a 64×64 case/,
  );
});

test('bad run options are all listed at once', async () => {
  await assert.rejects(
    runBenchmark([], { cases: 0, sizePx: 100 }),
    (e: Error) => /cases must be a positive integer/.test(e.message) && /size 100/.test(e.message),
  );
});
