// Helpers of the browser tests: build the editor into a temp folder, serve it (preview generator or given models), launch
// Debian's Chromium through playwright-core (flags from the env notes: no network chatter on a closed machine).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { after, before } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { build } from 'vite';
import { chromium, type Browser } from 'playwright-core';
import { createPreviewGenerator, createServer, type CollageServer, type ServerModel } from '../../src/server/index.ts';

/** Where the browser tests leave their screenshots. */
export const ARTIFACTS = join(tmpdir(), 'collage-editor-e2e');

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** node:test's `skip`: the reason when Chromium is missing (a failure under CI=true, where .ci/run installs it). */
export function chromiumSkip(): string | false {
  if (existsSync(CHROMIUM_PATH)) return false;
  if (process.env['CI'] === 'true') throw new Error(`Chromium not found at ${CHROMIUM_PATH}; .ci/run installs it (apt-get install chromium)`);
  return `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
}

/** Builds src/web with its Vite config into a fresh temp folder. @returns the folder */
export async function buildEditor(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'collage-web-'));
  await build({ configFile: 'src/web/vite.config.ts', logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  return outDir;
}

export interface EditorHarness extends CollageServer {
  readonly url: string;
  readonly browser: Browser;
  close(): Promise<void>;
}

/**
 * Serves a built editor on 127.0.0.1 and starts Chromium. The first model is `preview` (the composite after six
 * `stepMs` steps, no diffusion); `extraModels` follow it in the editor's model menu.
 */
export async function startEditor(webRoot: string, stepMs = 120, extraModels: readonly ServerModel[] = []): Promise<EditorHarness> {
  const preview: ServerModel = { id: 'preview', description: 'composite, no model', generate: createPreviewGenerator({ stepMs, steps: 6 }) };
  return serveEditor(webRoot, [preview, ...extraModels]);
}

/** Serves a built editor with exactly these models (the first is the default) on 127.0.0.1 and starts Chromium. */
export async function serveEditor(webRoot: string, models: readonly ServerModel[]): Promise<EditorHarness> {
  const outDir = await mkdtemp(join(tmpdir(), 'collage-web-results-'));
  const server = await createServer({ outDir, webRoot, models });
  const url = await server.app.listen({ port: 0, host: '127.0.0.1' });
  // launch() starts Chromium with a fresh, empty profile folder of its own (it refuses --user-data-dir).
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    ...server,
    url,
    browser,
    close: async () => {
      await browser.close();
      await server.app.close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

/** Two layer images drawn from SVG: a shaded red ball and a wooden crate, on transparent backgrounds. */
export async function layerPngs(): Promise<{ name: string; mimeType: string; buffer: Buffer }[]> {
  const ball = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><defs><radialGradient id="g" cx="0.35" cy="0.3" r="0.75"><stop offset="0" stop-color="#ff9c8a"/><stop offset="0.45" stop-color="#e0302a"/><stop offset="1" stop-color="#6e0c0c"/></radialGradient></defs><circle cx="100" cy="100" r="92" fill="url(#g)"/></svg>`;
  const crate = `<svg xmlns="http://www.w3.org/2000/svg" width="260" height="220"><rect x="6" y="6" width="248" height="208" rx="6" fill="#b07a3c" stroke="#5e3b17" stroke-width="10"/>${[52, 98, 144, 190].map((y) => `<line x1="10" y1="${y}" x2="250" y2="${y}" stroke="#8a5a26" stroke-width="5"/>`).join('')}<line x1="14" y1="14" x2="246" y2="206" stroke="#5e3b17" stroke-width="12"/></svg>`;
  const png = (svg: string) => sharp(Buffer.from(svg)).png().toBuffer();
  return [
    { name: 'wooden-crate.png', mimeType: 'image/png', buffer: await png(crate) },
    { name: 'red-ball.png', mimeType: 'image/png', buffer: await png(ball) },
  ];
}

/**
 * One file's browser-test setup with a given model list: builds the editor, serves it with exactly `models` and starts
 * Chromium before the file's tests; afterwards closes both, releases the models' generators and runs `cleanup`.
 * @returns the harness (valid inside the tests, once `before` has run)
 */
export function editorSuite(models: readonly ServerModel[], skip: string | false, cleanup?: () => void): () => EditorHarness {
  let webRoot = '';
  let harness: EditorHarness | undefined;
  before(async () => {
    if (skip !== false) return;
    webRoot = await buildEditor();
    harness = await serveEditor(webRoot, models);
    await mkdir(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await harness?.close();
    for (const m of models) {
      const release = (m.generate as { release?: unknown }).release;
      if (typeof release === 'function') await (release as () => Promise<void>).call(m.generate);
    }
    if (webRoot !== '') await rm(webRoot, { recursive: true, force: true });
    cleanup?.();
  });
  return () => harness!;
}
