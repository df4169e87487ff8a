// Helpers of the server tests: a running server on a loopback port with the preview generator, tiny inline PNGs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pngDataUri as encodePngDataUri } from '../../src/io/index.ts';
import { createPreviewGenerator, createServer, type CollageServer, type JobQueueOptions, type ServerModel } from '../../src/server/index.ts';

/** A solid RGBA square as a data:image/png URI. */
export async function pngDataUri(size: number, rgba: readonly [number, number, number, number]): Promise<string> {
  const data = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) data.set(rgba, i * 4);
  return encodePngDataUri({ width: size, height: size, data });
}

/** A valid 64×64 two-layer document (red square "a" under blue square "b"). */
export async function twoLayerDocument(): Promise<Record<string, unknown>> {
  return {
    version: 1,
    width: 64,
    height: 64,
    prompt: '{a} next to {b}',
    layers: [
      { id: 'a', image: await pngDataUri(24, [255, 0, 0, 255]), text: 'a red box', x: 4, y: 4 },
      { id: 'b', image: await pngDataUri(24, [0, 0, 255, 255]), text: 'a blue box', x: 30, y: 30 },
    ],
  };
}

export interface TestServer extends CollageServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1:<random port> with a temp output folder; its one model is `embedded`, a preview
 * generator (or `models`).
 */
export async function startTestServer(options: { stepMs?: number; steps?: number; queue?: JobQueueOptions; bodyLimitBytes?: number; models?: readonly ServerModel[] } = {}): Promise<TestServer> {
  const outDir = await mkdtemp(join(tmpdir(), 'collage-server-'));
  const server = await createServer({
    outDir,
    models: options.models ?? [{ id: 'embedded', description: 'preview', generate: createPreviewGenerator({ stepMs: options.stepMs ?? 5, steps: options.steps ?? 3 }) }],
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: options.bodyLimitBytes }),
  });
  const url = await server.app.listen({ port: 0, host: '127.0.0.1' });
  return {
    ...server,
    url,
    close: async () => {
      await server.app.close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

/** POSTs JSON, returns status, headers and the parsed body. */
export async function postJson(url: string, body: unknown): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

/** Reads a job's server-sent events to the end: [{ event, data }]. */
export async function readEvents(url: string): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const res = await fetch(url);
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim().length > 0)
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as Record<string, unknown>;
      return { event, data };
    });
}

/** Polls a job until it is no longer queued or running. */
export async function waitForJob(base: string, id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 2000; i++) {
    const job = (await (await fetch(`${base}/api/jobs/${id}`)).json()) as Record<string, unknown>;
    if (job['state'] !== 'queued' && job['state'] !== 'running') return job;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`job ${id} did not finish`);
}
