// The server under load, on loopback with bounded loops (issue 12 acceptance): a burst of submissions, cancel,
// hostile requests, and a soak whose RSS is reported.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { postJson, startTestServer, twoLayerDocument, waitForJob } from './support.ts';

test('50 concurrent submissions: each accepted (202) or refused (429 + Retry-After), none lost, done in queue order', async () => {
  const server = await startTestServer({ stepMs: 2, steps: 2, queue: { concurrency: 1, maxQueued: 16 } });
  try {
    const document = await twoLayerDocument();
    const responses = await Promise.all(Array.from({ length: 50 }, () => postJson(`${server.url}/api/jobs`, { document })));
    const accepted = responses.filter((r) => r.status === 202);
    const refused = responses.filter((r) => r.status === 429);
    assert.equal(accepted.length + refused.length, 50);
    assert.ok(accepted.length >= 17, `accepted ${accepted.length}`);
    assert.ok(refused.length > 0, 'the bounded queue refused some');
    for (const r of refused) assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
    const finished = await Promise.all(accepted.map((r) => waitForJob(server.url, r.json['id'] as string)));
    assert.ok(finished.every((j) => j['state'] === 'done'));
    const bySequence = [...finished].sort((a, b) => (a['sequence'] as number) - (b['sequence'] as number));
    for (let i = 1; i < bySequence.length; i++) {
      assert.ok((bySequence[i]!['startedMs'] as number) >= (bySequence[i - 1]!['finishedMs'] as number), 'one at a time, in order');
    }
    const results = (await (await fetch(`${server.url}/api/results`)).json()) as unknown[];
    assert.equal(results.length, accepted.length);
    console.log(`# burst of 50: ${accepted.length} accepted, ${refused.length} refused with 429`);
  } finally {
    await server.close();
  }
});

test('cancelling a running job frees the worker at once: the next job is running when DELETE returns', async () => {
  const server = await startTestServer({ stepMs: 200, steps: 50 });
  try {
    const document = await twoLayerDocument();
    const first = await postJson(`${server.url}/api/jobs`, { document });
    const second = await postJson(`${server.url}/api/jobs`, { document, options: { steps: 1 } });
    assert.equal(((await (await fetch(`${server.url}/api/jobs/${second.json['id']}`)).json()) as { state: string }).state, 'queued');
    const cancelled = (await (await fetch(`${server.url}/api/jobs/${first.json['id']}`, { method: 'DELETE' })).json()) as { state: string };
    assert.equal(cancelled.state, 'cancelled');
    const next = (await (await fetch(`${server.url}/api/jobs/${second.json['id']}`)).json()) as { state: string };
    assert.equal(next.state, 'running');
    assert.equal((await waitForJob(server.url, second.json['id'] as string))['state'], 'done');
    const again = await fetch(`${server.url}/api/jobs/${first.json['id']}`, { method: 'DELETE' });
    assert.equal(again.status, 409);
  } finally {
    await server.close();
  }
});

/** Sends `bytes` bytes of body; resolves with the status (the server may answer and close before all is sent). */
function postHuge(url: string, bytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(bytes) } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(1 << 20, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

test('malformed JSON, a 100 MB body, a broken image and path traversal are 4xx with a message; the server stays up', async () => {
  const server = await startTestServer();
  try {
    const malformed = await fetch(`${server.url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"document": {' });
    assert.equal(malformed.status, 400);
    assert.match(((await malformed.json()) as { error: { message: string } }).error.message, /JSON/);

    const huge = await postHuge(server.url, 100 * 1024 * 1024);
    assert.equal(huge.status, 413);
    assert.match(huge.body, /too large|body/i);

    const document = await twoLayerDocument();
    const layers = document['layers'] as Record<string, unknown>[];
    const broken = await postJson(`${server.url}/api/jobs`, { document: { ...document, layers: [{ ...layers[0], image: 'data:image/png;base64,iVBORw0KGgoAAAAN' }, layers[1]] } });
    assert.equal(broken.status, 400);
    assert.match(JSON.stringify(broken.json), /layers\[0\]\.image.*not a readable PNG/);

    const path = await postJson(`${server.url}/api/jobs`, { document: { ...document, layers: [{ ...layers[0], image: '../../../../etc/passwd' }, layers[1]] } });
    assert.equal(path.status, 400);
    assert.match(JSON.stringify(path.json), /etc\/passwd.*is a file path or URL.*never reads files/);

    for (const url of ['/api/results/..%2F..%2Fetc%2Fpasswd.png', '/api/documents/..%2Fpackage', '/api/jobs/..%2F..%2Fetc/events']) {
      const res = await fetch(`${server.url}${url}`);
      assert.equal(res.status, 400, url);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /is not a result or job id/);
    }
    const demo = await postJson(`${server.url}/api/import`, { fileName: 'state.json', base64: Buffer.from(JSON.stringify({ layers: [{ originalImgUrl: '/etc/passwd', transform: { position: { x: 0, y: 0 }, scale: 1 } }] })).toString('base64') });
    assert.equal(demo.status, 400);
    assert.match(JSON.stringify(demo.json), /\/etc\/passwd.*is a file path or URL/);

    const health = (await (await fetch(`${server.url}/api/health`)).json()) as { ok: boolean };
    assert.equal(health.ok, true);
  } finally {
    await server.close();
  }
});

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

test('a soak of 600 mixed requests ends healthy with RSS flat', async () => {
  const server = await startTestServer({ stepMs: 1, steps: 1, queue: { concurrency: 1, maxQueued: 8 } });
  try {
    const document = await twoLayerDocument();
    const kinds = [
      () => fetch(`${server.url}/api/health`),
      () => fetch(`${server.url}/api/models`),
      () => fetch(`${server.url}/api/results`),
      () => fetch(`${server.url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ document }) }),
      () => fetch(`${server.url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' }),
      () => fetch(`${server.url}/api/results/nope.png`),
    ];
    const round = async (count: number): Promise<Map<number, number>> => {
      const statuses = new Map<number, number>();
      for (let i = 0; i < count; i += 10) {
        const batch = await Promise.all(Array.from({ length: 10 }, (_, k) => kinds[(i + k) % kinds.length]!()));
        for (const res of batch) {
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          await res.arrayBuffer();
        }
      }
      return statuses;
    };
    await round(100); // warm-up: JIT, sharp, Fastify's caches
    while (server.queue.running + server.queue.queued > 0) await new Promise((r) => setTimeout(r, 10));
    collectGarbage();
    const before = process.memoryUsage().rss;
    const statuses = await round(500);
    while (server.queue.running + server.queue.queued > 0) await new Promise((r) => setTimeout(r, 10));
    collectGarbage();
    const after = process.memoryUsage().rss;
    const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
    console.log(`# soak: 500 requests after 100 warm-up, statuses ${JSON.stringify(Object.fromEntries(statuses))}, RSS ${mib(before)} → ${mib(after)} MiB`);
    assert.ok([...statuses.keys()].every((s) => [200, 202, 400, 404, 429].includes(s)), JSON.stringify([...statuses]));
    assert.ok(after - before < 48 * 2 ** 20, `RSS grew ${mib(after - before)} MiB`);
    assert.equal(((await (await fetch(`${server.url}/api/health`)).json()) as { ok: boolean }).ok, true);
  } finally {
    await server.close();
  }
});

/** GETs a raw, un-normalised path (fetch would resolve the dots). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/`, { path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('raw path-traversal URLs reach no file outside the served folders', async () => {
  const server = await startTestServer();
  try {
    for (const path of ['/../package.json', '/..%2f..%2fpackage.json', '/api/results/..%2f..%2f..%2fetc%2fpasswd.png', '/api/documents/%2e%2e%2fpackage']) {
      const res = await rawGet(server.url, path);
      assert.ok(res.status >= 400 && res.status < 500, `${path} → ${res.status}`);
      assert.doesNotMatch(res.body, /"name": "collage-diffusion"|root:x:0/);
    }
  } finally {
    await server.close();
  }
});
