// The README's main command on the embedded model (issue 11: ≤ 90 s on 2 cores fresh, including graph builds and the
// inversion of its layers; ≤ 15 s cached), run as a user runs it: a child process of bin/collage-diffusion.js.
// "Fresh" is an empty cache folder (COLLAGE_CACHE_DIR: no ONNX graphs, no learned embeddings); "cached" is the
// same folder on the next run. Baseline: the CLI's start-up alone (`--version`), measured in the same process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench, BenchRow } from './table.ts';

const EXAMPLE = 'examples/hand-made/hand-made.collage.json';
const CACHED_RUNS = 3;

/** Runs the CLI once; @returns wall seconds. @throws when it fails (a bench must not report a failed run's time) */
function cli(args: readonly string[], cacheDir: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/collage-diffusion.js', ...args], { env: { ...process.env, COLLAGE_CACHE_DIR: cacheDir }, encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`collage-diffusion ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return seconds;
}

export const bench: Bench = {
  name: 'readme-command',
  async run(): Promise<readonly BenchRow[]> {
    const cacheDir = mkdtempSync(join(tmpdir(), 'readme-command-cache-'));
    const out = join(cacheDir, 'out.png');
    const command = ['generate', EXAMPLE, '-o', out];
    try {
      const startup = Math.min(...[0, 1, 2].map(() => cli(['--version'], cacheDir)));
      const fresh = cli(command, cacheDir);
      const bytes = statSync(out).size;
      const cached = [...Array(CACHED_RUNS)].map(() => cli(command, cacheDir)).sort((a, b) => a - b)[Math.floor(CACHED_RUNS / 2)]!;
      const label = `npx collage-diffusion generate ${EXAMPLE} -o out.png`;
      return [
        { name: 'CLI start-up (--version)', value: startup, unit: 's', note: 'baseline' },
        { name: `${label}: fresh cache (graph builds + inversion of 2 layers)`, value: fresh, unit: 's', ratio: fresh / startup, note: `vs start-up (target ≤ 90 s); wrote ${bytes} B` },
        { name: `${label}: cached (median of ${CACHED_RUNS})`, value: cached, unit: 's', ratio: cached / startup, note: 'vs start-up (target ≤ 15 s)' },
      ];
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  },
};
