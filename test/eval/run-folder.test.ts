import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvalMethod } from '../../src/eval/methods.ts';
import { writeReport } from '../../src/eval/report.ts';
import { readCaseResults } from '../../src/eval/results-file.ts';
import { readRunFolder } from '../../src/eval/run-folder.ts';
import { runBenchmark } from '../../src/eval/runner.ts';

/** Fast fake methods: "txt2img" paints only the background, "collage-diffusion" returns the answer. */
function fakes(calls: string[], steps = 1): EvalMethod[] {
  const settings = () => Promise.resolve({ steps });
  return [
    {
      id: 'txt2img',
      description: 'fake: the empty background',
      recordedSettings: settings,
      generate: (input) => (calls.push(`txt2img#${input.index}`), Promise.resolve(input.background)),
    },
    {
      id: 'collage-diffusion',
      description: 'fake: the ground truth',
      oracle: true,
      recordedSettings: settings,
      generate: (input, context) => (calls.push(`cd#${input.index}`), Promise.resolve(context.groundTruth!)),
    },
  ];
}

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'run-folder-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a rerun into the same folder skips every (case, method) pair already scored', () =>
  withDir(async (dir) => {
    const calls: string[] = [];
    await runBenchmark(fakes(calls), { cases: 2, sizePx: 64, outDir: dir, keepOutputs: 1 });
    assert.deepEqual(calls, ['txt2img#0', 'cd#0', 'txt2img#1', 'cd#1']);
    calls.length = 0;
    const again = await runBenchmark(fakes(calls), { cases: 3, sizePx: 64, outDir: dir });
    assert.deepEqual(calls, ['txt2img#2', 'cd#2']); // only the new case ran
    assert.deepEqual(
      again.cases.map((c) => c.index),
      [2],
    );
    const { results } = await readCaseResults(dir);
    assert.equal(results.length, 6);
    assert.deepEqual(results[1]!.settings, { steps: 1 });
    assert.equal(results[1]!.metrics.iou, 1);
    // the first case's outputs were kept as PNGs for the grid
    assert.deepEqual((await readdir(join(dir, 'outputs', 'case-0000'))).sort(), [
      'collage-diffusion.png',
      'collage.png',
      'ground-truth.png',
      'txt2img.png',
    ]);
  }));

test('a rerun with other settings is refused, naming the method and both settings', () =>
  withDir(async (dir) => {
    await runBenchmark(fakes([]), { cases: 1, sizePx: 64, outDir: dir });
    await assert.rejects(
      runBenchmark(fakes([], 7), { cases: 1, sizePx: 64, outDir: dir }),
      /"txt2img" results there were made with \{steps=1\}, this run has \{steps=7\}.*use another -o folder/s,
    );
    await assert.rejects(
      runBenchmark(fakes([]), { cases: 1, sizePx: 72, outDir: dir }),
      /64 px results and this run is 72 px/,
    );
  }));

test('two shards writing one folder at once lose nothing, and the report covers both', () =>
  withDir(async (dir) => {
    await Promise.all([
      runBenchmark(fakes([]), { cases: 3, firstIndex: 0, sizePx: 64, outDir: dir, keepOutputs: 1 }),
      runBenchmark(fakes([]), { cases: 3, firstIndex: 3, sizePx: 64, outDir: dir, keepOutputs: 1 }),
    ]);
    const run = await readRunFolder(dir, { keep: 4 });
    assert.deepEqual(
      run.cases.map((c) => c.index),
      [0, 1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      run.kept.map((k) => k.index),
      [0, 3],
    );
    assert.equal(run.results['txt2img']!.length, 6);
    assert.equal(run.kept[0]!.outputs['collage-diffusion']!.width, 64);
  }));

test('the report from disk states the spatial-fidelity claim with its interval and verdict', () =>
  withDir(async (dir) => {
    await runBenchmark(fakes([]), { cases: 10, sizePx: 64, outDir: dir, keepOutputs: 2 });
    await writeReport(dir, await readRunFolder(dir));
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    assert.match(md, /### a\. Spatial fidelity: full method vs text-to-image: \*\*holds\*\*/);
    assert.match(md, /\| foreground IoU \| ↑ \(> 0\) \| \+1\.000 \| \[\+1\.000, \+1\.000\] \| holds \|/);
    assert.match(md, /b\. Harmonization .*: needs collage-diffusion and sdedit@s at ≥ 3 strengths \(has 0\)/);
    assert.match(md, /\| `txt2img` \| 10 \| \d+\.\d\d \| steps=1 \|/);
    const json = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as {
      claims: { verdict: string }[];
    };
    assert.equal(json.claims[0]!.verdict, 'holds');
  }));

test('a damaged line is skipped and counted, a line still being written is left alone', () =>
  withDir(async (dir) => {
    await runBenchmark(fakes([]), { cases: 1, sizePx: 64, outDir: dir });
    await appendFile(join(dir, 'cases.jsonl'), '{"method": "txt2img", "oops"\n{"method":');
    const { results, damagedLines } = await readCaseResults(dir);
    assert.equal(results.length, 2);
    assert.deepEqual(damagedLines, [3]);
  }));

test('reporting an empty folder says to run the evaluation first', () =>
  withDir(async (dir) => {
    await assert.rejects(readRunFolder(dir), /no results to report.*run `collage-diffusion eval -o/s);
  }));
