import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
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
      'grid.png',
      'metrics.png',
      'metrics.svg',
      'report.md',
      'results.json',
    ]);
    assert.match(String(log.mock.calls[0]?.arguments[0]), /3 cases × 2 methods/);
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

test('a malformed --set pair is refused', async (t) => {
  const err = t.mock.method(console, 'error', () => undefined);
  assert.equal(
    await main(['eval', '--cases', '1', '--set', 'oops', '-o', join(tmpdir(), 'never-written')]),
    1,
  );
  assert.match(String(err.mock.calls[0]?.arguments[0]), /"oops" is not key=value/);
});
