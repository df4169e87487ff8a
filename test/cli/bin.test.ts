// The bin script itself (bin/collage-diffusion.js), as a shell runs it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

test('a reader that closes the pipe early (`generate --help | head`) ends the command quietly with status 0, no EPIPE trace', async () => {
  const child = spawn(process.execPath, ['bin/collage-diffusion.js', 'generate', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // closed before the help is written: every write of it meets EPIPE
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(stderr, '');
  assert.equal(code, 0);
});
