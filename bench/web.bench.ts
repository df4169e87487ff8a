// The editor's weight and first load (issue 12): bundle bytes (raw and gzip) of a fresh Vite build, and the time
// from navigation to the editor's canvas in Chromium on localhost, each load in a fresh context (cold cache),
// against a blank page served the same way in the same process.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildEditor, chromiumSkip, startEditor } from '../test/web/support.ts';
import { median, type Bench, type BenchRow } from './table.ts';

const LOADS = 7;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

export const bench: Bench = {
  name: 'web',
  async run(): Promise<readonly BenchRow[]> {
    const t0 = performance.now();
    const webRoot = await buildEditor();
    const buildMs = performance.now() - t0;
    const rows: BenchRow[] = [{ name: 'editor Vite build', value: buildMs, unit: 'ms' }];
    const files = await filesUnder(webRoot);
    let raw = 0;
    let gzip = 0;
    for (const ext of ['.js', '.css', '.html']) {
      const bytes = await Promise.all(files.filter((f) => f.endsWith(ext)).map((f) => readFile(f)));
      const r = bytes.reduce((s, b) => s + b.length, 0);
      const g = bytes.reduce((s, b) => s + gzipSync(b, { level: 9 }).length, 0);
      raw += r;
      gzip += g;
      rows.push({ name: `editor bundle ${ext} (raw)`, value: r / 1024, unit: 'KiB' }, { name: `editor bundle ${ext} (gzip -9)`, value: g / 1024, unit: 'KiB' });
    }
    rows.push({ name: 'editor bundle total (raw)', value: raw / 1024, unit: 'KiB' }, { name: 'editor bundle total (gzip -9)', value: gzip / 1024, unit: 'KiB', note: `${files.length} files` });

    const skip = chromiumSkip();
    if (skip !== false) {
      console.error(`skipping first-load timings: ${skip}`);
      await rm(webRoot, { recursive: true, force: true });
      return rows;
    }
    await writeFile(join(webRoot, 'blank.html'), '<!doctype html><title>blank</title><canvas data-testid="stage-canvas"></canvas>');
    const harness = await startEditor(webRoot);
    try {
      const load = async (path: string): Promise<{ wallMs: number; domMs: number }> => {
        const context = await harness.browser.newContext({ viewport: { width: 1440, height: 900 } });
        const page = await context.newPage();
        const start = performance.now();
        await page.goto(`${harness.url}${path}`, { waitUntil: 'load' });
        await page.getByTestId('stage-canvas').waitFor();
        const wallMs = performance.now() - start;
        const domMs = Number(await page.evaluate('performance.getEntriesByType("navigation")[0].loadEventEnd'));
        await context.close();
        return { wallMs, domMs };
      };
      await load('/');
      await load('/blank.html');
      const editor: { wallMs: number; domMs: number }[] = [];
      const blank: { wallMs: number; domMs: number }[] = [];
      for (let i = 0; i < LOADS; i++) {
        editor.push(await load('/'));
        blank.push(await load('/blank.html'));
      }
      const editorWall = median(editor.map((x) => x.wallMs));
      const blankWall = median(blank.map((x) => x.wallMs));
      rows.push(
        { name: 'editor first load → canvas (cold context, localhost)', value: editorWall, unit: 'ms', ratio: editorWall / blankWall, note: `median of ${LOADS}; vs a blank page served the same way` },
        { name: 'blank page load (baseline)', value: blankWall, unit: 'ms' },
        { name: 'editor load event (navigation timing)', value: median(editor.map((x) => x.domMs)), unit: 'ms', note: `median of ${LOADS}` },
      );
    } finally {
      await harness.close();
      await rm(webRoot, { recursive: true, force: true });
    }
    return rows;
  },
};
