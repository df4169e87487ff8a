// `collage-diffusion serve [--port 7860] [--host 127.0.0.1] [--out dir]`: the local generation server with the
// built editor (src/web/dist, made by `npm run build:web`) at http://127.0.0.1:7860. Models: `embedded` (default),
// each `--model id=path`, and `preview` (no model).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { InputError } from '../errors.ts';
import { readNativeImageSizePx } from '../models/index.ts';
import { createPipelineGenerator, createPreviewGenerator, createServer, type ServerModel } from '../server/index.ts';
import { parseIntegerOption } from './integer-option.ts';
import { EMBEDDED_MODEL, EMBEDDED_MODEL_DIR, loadModel } from './model-option.ts';

/** The built editor inside the package. */
export const WEB_DIST_DIR = fileURLToPath(new URL('../web/dist', import.meta.url));

interface ServeOptions {
  port: string;
  host: string;
  out: string;
  concurrency: string;
  queue: string;
  model: string[];
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the local generation server and the collage editor (open the printed URL)')
    .option('--port <port>', 'port to listen on', '7860')
    .option('--host <host>', 'address to bind (loopback by default: the server is for this machine)', '127.0.0.1')
    .option('--out <dir>', 'folder for results (written atomically, listed in the editor)', 'collage-results')
    .option('--concurrency <n>', 'generations at once (1 on CPU)', '1')
    .option('--queue <n>', 'jobs that may wait before new ones are refused with 429', '16')
    .option('--model <id=path>', 'offer another model: a diffusers Stable Diffusion folder or SD 1.x .safetensors (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .action(async (options: ServeOptions) => {
      const port = parseIntegerOption(options.port, '--port', 0, 65535);
      const concurrency = parseIntegerOption(options.concurrency, '--concurrency', 1, 64);
      const maxQueued = parseIntegerOption(options.queue, '--queue', 0, 10000);
      if (!existsSync(WEB_DIST_DIR)) {
        throw new InputError({ what: 'the editor is not built', where: WEB_DIST_DIR, fix: 'run `npm run build:web` in the package folder' });
      }
      const { app } = await createServer({ outDir: options.out, models: serverModels(options.model), queue: { concurrency, maxQueued }, webRoot: WEB_DIST_DIR });
      let url: string;
      try {
        url = await app.listen({ port, host: options.host });
      } catch (e) {
        throw new InputError({ what: `cannot listen on ${options.host}:${port} (${e instanceof Error ? e.message : String(e)})`, where: '--port / --host', fix: 'choose a free port, e.g. --port 7861' });
      }
      if (!['127.0.0.1', '::1', 'localhost'].includes(options.host)) console.warn(`warning: listening on ${options.host}: anyone who can reach it can run generations`);
      console.log(`collage editor: ${url}  (results in ${options.out}; Ctrl+C to stop)`);
      await new Promise<void>((resolve) => {
        const stop = (): void => void app.close().then(() => resolve());
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

/**
 * `embedded` first (the default), then each `--model id=path`, then `preview`: the composite without a model, for
 * trying the editor where no model is at hand. Models open on their first job.
 * @throws InputError for a --model value that is not id=path or repeats an id
 */
export function serverModels(specs: readonly string[]): ServerModel[] {
  const models: ServerModel[] = [{
    id: EMBEDDED_MODEL,
    description: 'the small model shipped with collage-diffusion (`npm run train:embedded` makes it in a clone)',
    generate: createPipelineGenerator(() => loadModel(EMBEDDED_MODEL)),
    available: () => existsSync(EMBEDDED_MODEL_DIR),
    nativeSizePx: nativeSizeOf(EMBEDDED_MODEL_DIR),
  }];
  for (const spec of specs) {
    const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(spec);
    if (m === null || models.some((x) => x.id === m[1]) || m[1] === 'preview') {
      throw new InputError({ what: `"${spec}" is not a new id=path`, where: '--model', fix: 'use e.g. --model sd15=/models/stable-diffusion-v1-5 (ids unique, not "embedded" or "preview")' });
    }
    const path = m[2]!;
    models.push({ id: m[1]!, description: path, generate: createPipelineGenerator(() => loadModel(path)), available: () => existsSync(path), nativeSizePx: nativeSizeOf(path) });
  }
  models.push({ id: 'preview', description: 'no model: returns the composite (tries the editor without a model)', generate: createPreviewGenerator({ stepMs: 60 }) });
  return models;
}

/**
 * The native image side of the model at `path`, px, read from its configs once found (models' readNativeImageSizePx).
 * Missing files or a broken config give undefined and are read again next time: the model list must not fail for
 * one model, and a job on that model reports the config's problem with its fix.
 */
function nativeSizeOf(path: string): () => Promise<number | undefined> {
  let known: number | undefined;
  return async () => {
    if (known !== undefined) return known;
    known = await readNativeImageSizePx(path).catch(() => undefined);
    return known;
  };
}
