import assert from 'node:assert/strict';
import { test } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { rmSync } from 'node:fs';
import { serverModels } from '../../src/cli/serve.ts';
import { decodeImage, encodePng } from '../../src/io/index.ts';
import { createPreviewGenerator, type ApiProblem, type JobJson, type ModelJson, type ResultJson } from '../../src/server/index.ts';
import { makeConfigOnlyFolder, SD15_SIZES } from '../support/config-folder.ts';
import { postJson, readEvents, startTestServer, twoLayerDocument, waitForJob } from './support.ts';

test('a job streams progress with previews, then its result, which is listed and served as a PNG', async () => {
  const server = await startTestServer();
  try {
    const created = await postJson(`${server.url}/api/jobs`, { document: await twoLayerDocument(), options: { seed: 7, steps: 3 } });
    assert.equal(created.status, 202);
    const id = created.json['id'] as string;
    const events = await readEvents(`${server.url}/api/jobs/${id}/events`);
    const progress = events.filter((e) => e.event === 'progress');
    // A subscriber that connects after step 1 gets the latest step first, then the live ones: steps rise to 3.
    const steps = progress.map((e) => e.data['step'] as number);
    assert.deepEqual(steps, [...steps].sort((a, b) => a - b));
    assert.equal(steps.at(-1), 3);
    assert.match(String(progress[0]!.data['preview']), /^data:image\/png;base64,/);
    const result = events.find((e) => e.event === 'result')!.data['results'] as { id: string; url: string; seed: number; steps: number; prompt: string }[];
    assert.equal(result.length, 1);
    assert.equal(result[0]!.seed, 7);
    assert.equal(result[0]!.steps, 3);
    assert.equal(events.at(-1)!.data['state'], 'done');
    const listed = (await (await fetch(`${server.url}/api/results`)).json()) as { id: string }[];
    assert.deepEqual(listed.map((r) => r.id), [result[0]!.id]);
    const png = await fetch(`${server.url}${result[0]!.url}`);
    assert.equal(png.headers.get('content-type'), 'image/png');
    const image = await decodeImage(new Uint8Array(await png.arrayBuffer()), 'the result PNG');
    assert.deepEqual([image.width, image.height], [64, 64]);
    // The red layer at (4, 4): pixel (10, 10) is red in the preview generator's composite.
    assert.deepEqual([...image.data.subarray((10 * 64 + 10) * 4, (10 * 64 + 10) * 4 + 3)], [255, 0, 0]);
    const doc = (await (await fetch(`${server.url}/api/documents/${id}`)).json()) as { prompt: string };
    assert.equal(doc.prompt, '{a} next to {b}');
  } finally {
    await server.close();
  }
});

test('re-generating layers of a result makes a child result that names its parent and layers', async () => {
  const server = await startTestServer();
  try {
    const created = await postJson(`${server.url}/api/jobs`, { document: await twoLayerDocument(), options: { seed: 3 } });
    const job = await waitForJob(server.url, created.json['id'] as string);
    const parentId = (job['results'] as string[])[0]!;
    const again = await postJson(`${server.url}/api/results/${parentId}/regenerate`, { layers: ['b'] });
    assert.equal(again.status, 202);
    const done = await waitForJob(server.url, again.json['id'] as string);
    assert.equal(done['state'], 'done');
    const child = (await (await fetch(`${server.url}/api/results/${(done['results'] as string[])[0]}`)).json()) as Record<string, unknown>;
    assert.equal(child['parent'], parentId);
    assert.deepEqual(child['regenerate'], ['b']);
    assert.equal(child['seed'], 3);
    const bad = await postJson(`${server.url}/api/results/${parentId}/regenerate`, { layers: ['nope'] });
    assert.equal(bad.status, 400);
    const problem = (bad.json['error'] as { problems: { what: string; fix: string }[] }).problems[0]!;
    assert.equal(problem.what, 'no visible layer "nope"');
    assert.equal(problem.fix, 'choose among a, b');
  } finally {
    await server.close();
  }
});

test('an invalid document is a 400 listing every problem with where and fix', async () => {
  const server = await startTestServer();
  try {
    const document = { ...(await twoLayerDocument()), width: 100, colour: 'red' };
    const res = await postJson(`${server.url}/api/jobs`, { document });
    assert.equal(res.status, 400);
    const error = res.json['error'] as { kind: string; problems: { what: string; where: string; fix: string }[] };
    assert.equal(error.kind, 'CollageError');
    assert.ok(error.problems.some((p) => /not a multiple of 8/.test(p.what) && /width/.test(p.where)));
    assert.ok(error.problems.some((p) => /unknown key "colour"/.test(p.what)));
  } finally {
    await server.close();
  }
});

test('the model list has the embedded model first; an unknown model is a 400 naming the choices', async () => {
  const server = await startTestServer();
  try {
    const models = (await (await fetch(`${server.url}/api/models`)).json()) as { id: string }[];
    assert.deepEqual(models.map((m) => m.id), ['embedded']);
    const res = await postJson(`${server.url}/api/jobs`, { document: await twoLayerDocument(), options: { model: 'sd99' } });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.json), /unknown model \\"sd99\\".*use one of embedded/);
  } finally {
    await server.close();
  }
});

test('a late subscriber to a finished job gets its result, then its final state', async () => {
  const server = await startTestServer();
  try {
    const created = await postJson(`${server.url}/api/jobs`, { document: await twoLayerDocument() });
    await waitForJob(server.url, created.json['id'] as string);
    const events = await readEvents(`${server.url}/api/jobs/${created.json['id']}/events`);
    assert.deepEqual(events.map((e) => e.event), ['result', 'state']);
    assert.equal(events[1]!.data['state'], 'done');
  } finally {
    await server.close();
  }
});

test('an uploaded OpenRaster file imports to a document with inline images that the server then accepts as a job', async () => {
  const server = await startTestServer();
  try {
    const square = async (rgba: [number, number, number, number]) => {
      const data = new Uint8Array(16 * 16 * 4);
      for (let i = 0; i < 256; i++) data.set(rgba, i * 4);
      return encodePng({ width: 16, height: 16, data });
    };
    const stack = '<?xml version="1.0"?><image w="64" h="64"><stack><layer name="lamp" src="data/lamp.png" x="30" y="8"/><layer name="table" src="data/table.png" x="4" y="40"/></stack></image>';
    const ora = zipSync({ mimetype: strToU8('image/openraster'), 'stack.xml': strToU8(stack), 'data/lamp.png': await square([255, 220, 0, 255]), 'data/table.png': await square([120, 70, 20, 255]) });
    const imported = await postJson(`${server.url}/api/import`, { fileName: 'room.ora', base64: Buffer.from(ora).toString('base64') });
    assert.equal(imported.status, 200, JSON.stringify(imported.json));
    const document = imported.json['document'] as { prompt: string; layers: { id: string; image: string; x: number }[] };
    assert.deepEqual(document.layers.map((l) => [l.id, l.x]), [['table', 4], ['lamp', 30]]);
    assert.ok(document.layers.every((l) => l.image.startsWith('data:image/png;base64,')));
    const job = await postJson(`${server.url}/api/jobs`, { document });
    assert.equal(job.status, 202, JSON.stringify(job.json));
    const bad = await postJson(`${server.url}/api/import`, { fileName: 'notes.txt', base64: '' });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json), /cannot import \\"notes.txt\\".*\.psd, \.ora, \.json/);
  } finally {
    await server.close();
  }
});

test('the model list reports native sizes: 128 px for the embedded model, 512 for an SD-1-style folder, none for preview', async () => {
  const folder = makeConfigOnlyFolder(SD15_SIZES);
  const server = await startTestServer({ models: serverModels([`sd15=${folder}`]) });
  try {
    const models = (await (await fetch(`${server.url}/api/models`)).json()) as ModelJson[];
    assert.deepEqual(models.map((m) => [m.id, m.nativeSizePx]), [['embedded', 128], ['sd15', 512], ['preview', undefined]]);
  } finally {
    await server.close();
    rmSync(folder, { recursive: true, force: true });
  }
});

test('a canvas more than 2× off the native size still runs, with a warning in the job and its result record', async () => {
  const generate = createPreviewGenerator({ stepMs: 1, steps: 2 });
  const server = await startTestServer({ models: [{ id: 'small', description: 'a 128 px model', generate, nativeSizePx: async () => 128 }] });
  try {
    const big = { ...(await twoLayerDocument()), width: 512, height: 512 };
    const created = await postJson(`${server.url}/api/jobs`, { document: big });
    assert.equal(created.status, 202);
    const warnings = created.json['warnings'] as ApiProblem[];
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.what, /512×512 px, 4× the small model's native 128×128 px/);
    const events = await readEvents(`${server.url}/api/jobs/${created.json['id']}/events`);
    const final = events.at(-1)!.data as unknown as JobJson;
    assert.deepEqual([final.state, final.warnings], ['done', warnings], 'every state event carries the warning');
    const result = (await (await fetch(`${server.url}/api/results/${final.results[0]}`)).json()) as ResultJson;
    assert.deepEqual(result.record['warnings'], warnings);

    const native = await postJson(`${server.url}/api/jobs`, { document: { ...big, width: 128, height: 128 } });
    assert.equal(native.json['warnings'], undefined, 'a 128 px canvas: no warning');
  } finally {
    await server.close();
  }
});
