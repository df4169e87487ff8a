// `collage-diffusion serve` as a user runs it: a child process on a free loopback port that serves the built editor
// and the API, and stops on SIGTERM. Without a built editor it refuses with the build command.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EMBEDDED_MODEL_DIR } from '../../src/cli/model-option.ts';
import { WEB_DIST_DIR } from '../../src/cli/serve.ts';

test('serve prints its URL, serves the editor and the API on 127.0.0.1, and exits 0 on SIGTERM', { timeout: 60_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'collage-serve-'));
  const child = spawn(process.execPath, ['bin/collage-diffusion.js', 'serve', '--port', '0', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    if (!existsSync(WEB_DIST_DIR)) {
      assert.equal(await exited, 1);
      assert.match(stderr, /the editor is not built.*npm run build:web/);
      return;
    }
    for (let i = 0; i < 300 && !/http:\/\/\S+/.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    assert.ok(url !== undefined, `no URL in ${JSON.stringify(stdout)} / ${stderr}`);
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Collage Diffusion — editor<\/title>/);
    const models = (await (await fetch(`${url}/api/models`)).json()) as { id: string; available: boolean }[];
    assert.deepEqual(models.map((m) => [m.id, m.available]), [['embedded', existsSync(EMBEDDED_MODEL_DIR)], ['preview', true]]);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(out, { recursive: true, force: true });
  }
});
