import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';

test('eval with the two stand-in methods writes the report, plot, grid and results', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-eval-'));
  const log = t.mock.method(console, 'log', () => undefined);
  t.mock.method(console, 'error', () => undefined);
  try {
    assert.equal(
      await main(['eval', '--cases', '3', '--size', '64', '--methods', 'naive,ground-truth', '-o', dir]),
      0,
    );
    assert.deepEqual((await readdir(dir)).sort(), [
      'cases.jsonl',
      'grid.png',
      'metrics.png',
      'metrics.svg',
      'outputs',
      'report.md',
      'results.json',
    ]);
    assert.match(String(log.mock.calls[0]?.arguments[0]), /3 cases × 2 methods: 6 scored now/);
    // a second shard, then the report rebuilt from disk alone
    assert.equal(
      await main([
        'eval',
        '--first',
        '3',
        '--cases',
        '2',
        '--size',
        '64',
        '--methods',
        'naive,ground-truth',
        '-o',
        dir,
      ]),
      0,
    );
    assert.equal(await main(['eval', '--report-only', '-o', dir]), 0);
    assert.match(String(log.mock.calls[2]?.arguments[0]), /5 cases × 2 methods from .*cases\.jsonl/);
    assert.match(
      await readFile(join(dir, 'report.md'), 'utf8'),
      /5 cases from the evaluation seed stream \(indices 0–4\)/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('eval with an unknown method exits 1 and lists the known ones', async (t) => {
  const err = t.mock.method(console, 'error', () => undefined);
  assert.equal(await main(['eval', '--methods', 'naive,magic', '-o', join(tmpdir(), 'never-written')]), 1);
  assert.match(
    String(err.mock.calls[0]?.arguments[0]),
    /unknown method "magic".*use one of: naive, ground-truth/,
  );
});

test('a noise strength on a method without one, or out of range, is refused before anything runs', async (t) => {
  const err = t.mock.method(console, 'error', () => undefined);
  const out = join(tmpdir(), 'never-written');
  assert.equal(await main(['eval', '--methods', 'naive@0.5,sdedit@1.2', '-o', out]), 1);
  const message = String(err.mock.calls[0]?.arguments[0]);
  assert.match(message, /method "naive" has no noise strength/);
  assert.match(message, /noise strength "1\.2" of "sdedit@1\.2" is not a number in \(0, 1\]/);
});

test('a malformed --set pair is refused', async (t) => {
  const err = t.mock.method(console, 'error', () => undefined);
  assert.equal(
    await main(['eval', '--cases', '1', '--set', 'oops', '-o', join(tmpdir(), 'never-written')]),
    1,
  );
  assert.match(String(err.mock.calls[0]?.arguments[0]), /"oops" is not key=value/);
});
