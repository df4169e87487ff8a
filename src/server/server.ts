// The local generation server (issue 12): Fastify on loopback, the JSON API of api-types.ts, server-sent job events,
// the results folder, and the built editor (src/web/dist) at /. The one place besides cli/ that catches everything:
// every failure leaves as a JSON error body with what / where / fix.
import { createReadStream, existsSync } from 'node:fs';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { pngDataUri, type RgbaImage } from '../io/index.ts';
import { InputError, isUserError } from '../errors.ts';
import type { ProgressEvent } from '../progress.ts';
import type { ApiErrorBody, ApiProblem, CreateJobBody, HealthJson, JobEventMap, JobOptionsJson, ModelJson, RegenerateBody, ResultJson } from './api-types.ts';
import type { Generator } from './generator.ts';
import { importUploadedFile } from './import-route.ts';
import { JobQueue, jobError, type JobEvent, type JobQueueOptions, type JobRun, type QueueFull } from './job-queue.ts';
import { isRecord, parseInlineDocument, parseJobOptions, parseRegenerateLayers, type ParsedJobDocument } from './job-request.ts';
import { ResultStore, checkStoredId } from './result-store.ts';
import { canvasSizeWarnings } from './size-warning.ts';

/** A model the server offers: `embedded` always, others from the command line. */
export interface ServerModel {
  readonly id: string;
  readonly description: string;
  readonly generate: Generator;
  /** Whether its files are there now (checked on each GET /api/models). @default () => true */
  readonly available?: () => boolean;
  /**
   * Its native image side, px (ModelJson.nativeSizePx), asked on each GET /api/models and each job (a job whose
   * canvas is > 2× off gets a warning, size-warning.ts); undefined = unknown. @default none
   */
  readonly nativeSizePx?: () => Promise<number | undefined>;
}

export interface ServerOptions {
  /** Where results are written and listed from. */
  readonly outDir: string;
  /** The models; the first is the default. */
  readonly models: readonly ServerModel[];
  readonly queue?: JobQueueOptions;
  /** Largest request body, bytes (inline images make documents large). @default 64 MiB */
  readonly bodyLimitBytes?: number;
  /** The built editor (index.html + assets); absent = API only. */
  readonly webRoot?: string;
  /** Fastify's logger. @default false */
  readonly logger?: boolean;
}

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024 * 1024;

/** The app and what tests poke at. */
export interface CollageServer {
  readonly app: FastifyInstance;
  readonly queue: JobQueue;
  readonly store: ResultStore;
}

/** Builds the server (not yet listening). @throws InputError when the output folder cannot be created */
export async function createServer(options: ServerOptions): Promise<CollageServer> {
  if (options.models.length === 0) throw new RangeError('createServer needs at least one model');
  const store = new ResultStore(options.outDir);
  await store.open();
  const queue = new JobQueue(options.queue ?? {});
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES });
  app.setErrorHandler((error: FastifyError, _request, reply) => sendError(reply, error));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('NotFound', { what: `no route ${request.method} ${request.url.slice(0, 100)}`, fix: 'see GET /api/health, /api/models, /api/jobs, /api/results' })),
  );
  app.addHook('onClose', async () => queue.cancelAll());
  const models = new Map(options.models.map((m) => [m.id, m]));
  const defaultModel = options.models[0]!.id;

  app.get('/api/health', async (): Promise<HealthJson> => ({ ok: true, running: queue.running, queued: queue.queued, rssBytes: process.memoryUsage().rss }));
  app.get('/api/models', async (): Promise<ModelJson[]> => Promise.all(options.models.map(modelJson)));
  app.get('/api/results', async (): Promise<ResultJson[]> => store.list());

  const refuse = (reply: FastifyReply, refusal: QueueFull) =>
    reply
      .code(429)
      .header('Retry-After', String(refusal.retryAfterS))
      .send(errorBody('QueueFull', { what: `${queue.queued} jobs are waiting (the limit)`, fix: `retry in ${refusal.retryAfterS} s` }));
  const submit = (reply: FastifyReply, { run, warnings }: PreparedJob) => {
    const job = queue.submit(run, warnings);
    return 'refused' in job ? refuse(reply, job) : reply.code(202).send(job);
  };

  /** The job's run and its warnings (a canvas far from the model's native size). */
  const prepareJob = async (parsed: ParsedJobDocument, opts: JobOptionsJson, extra: { regenerate?: string[]; parent?: ResultJson; previous?: RgbaImage }): Promise<PreparedJob> => {
    const modelId = opts.model ?? parsed.document.generation.model ?? defaultModel;
    const model = models.get(modelId);
    if (model === undefined) {
      throw new InputError({ what: `unknown model "${modelId}"`, where: 'options.model / generation.model', fix: `use one of ${[...models.keys()].join(', ')} (GET /api/models)` });
    }
    const seed = opts.seed ?? parsed.document.generation.seed ?? Math.floor(Math.random() * 2 ** 31);
    const steps = opts.steps ?? parsed.document.generation.steps;
    const warnings = canvasSizeWarnings(parsed.document.width, parsed.document.height, await model.nativeSizePx?.(), model.id);
    const run: JobRun = async ({ id: jobId, signal }, emitProgress) => {
      let previews = Promise.resolve();
      const onProgress = (e: ProgressEvent): void => {
        previews = previews.then(async () => emitProgress(await progressJson(e)));
      };
      const { images, record } = await model.generate(
        {
          document: parsed.document,
          images: parsed.images,
          options: {
            seed,
            ...(steps === undefined ? {} : { steps }),
            ...(opts.n === undefined ? {} : { n: opts.n }),
            ...(extra.regenerate === undefined ? {} : { regenerate: extra.regenerate }),
            ...(extra.previous === undefined ? {} : { previousImage: extra.previous }),
          },
        },
        onProgress,
        signal,
      );
      await previews;
      return store.save(jobId, parsed.json, images, {
        model: model.id,
        seed,
        steps: steps ?? (typeof record['steps'] === 'number' ? record['steps'] : 0),
        prompt: parsed.document.prompt,
        negativePrompt: parsed.document.negativePrompt,
        ...(extra.regenerate === undefined ? {} : { regenerate: extra.regenerate }),
        ...(extra.parent === undefined ? {} : { parent: extra.parent.id }),
        record: warnings.length === 0 ? record : { ...record, warnings },
      });
    };
    return { run, warnings };
  };

  app.post('/api/jobs', async (request, reply) => {
    const body = request.body;
    if (!isRecord(body)) return reply.code(400).send(errorBody('InputError', { what: 'the body is not a JSON object', where: 'request body', fix: 'send { "document": {…}, "options": {…} }' }));
    const full = queue.refusal();
    if (full !== undefined) return refuse(reply, full); // before decoding images: refusing stays cheap under load
    const { document, options: rawOptions } = body as unknown as CreateJobBody;
    const opts = parseJobOptions(rawOptions, 'request body → options');
    const parsed = await parseInlineDocument(document, 'request body → document');
    return submit(reply, await prepareJob(parsed, opts, {}));
  });

  app.post<{ Params: { id: string } }>('/api/results/:id/regenerate', async (request, reply) => {
    const id = checkStoredId(request.params.id, 'URL → result id');
    const parent = store.get(id);
    if (parent === undefined) return reply.code(404).send(errorBody('NotFound', { what: `no result "${id}"`, fix: 'use an id from GET /api/results' }));
    const body = request.body;
    if (!isRecord(body)) return reply.code(400).send(errorBody('InputError', { what: 'the body is not a JSON object', where: 'request body', fix: 'send { "layers": ["id", …] }' }));
    const full = queue.refusal();
    if (full !== undefined) return refuse(reply, full);
    const { layers, document, options: rawOptions } = body as unknown as RegenerateBody;
    const opts = parseJobOptions(rawOptions, 'request body → options');
    const parsed = await parseInlineDocument(document ?? (await store.readDocument(parent.jobId)), document === undefined ? `result ${id} document` : 'request body → document');
    const regenerate = parseRegenerateLayers(layers, parsed.document, 'request body → layers');
    const previous = await store.readImage(id);
    if (previous.width !== parsed.document.width || previous.height !== parsed.document.height) {
      return reply.code(400).send(errorBody('InputError', { what: `the result is ${previous.width}×${previous.height} but the document ${parsed.document.width}×${parsed.document.height}`, where: 'request body → document', fix: 'keep the canvas size of the result you re-generate' }));
    }
    return submit(reply, await prepareJob(parsed, { seed: parent.seed, ...opts }, { regenerate, parent, previous }));
  });

  app.get<{ Params: { id: string } }>('/api/jobs/:id', async (request, reply) => {
    const job = queue.get(checkStoredId(request.params.id, 'URL → job id'));
    return job ?? reply.code(404).send(errorBody('NotFound', { what: `no job "${request.params.id}"`, fix: 'jobs are kept for a while after they finish; see GET /api/results' }));
  });

  app.delete<{ Params: { id: string } }>('/api/jobs/:id', async (request, reply) => {
    const id = checkStoredId(request.params.id, 'URL → job id');
    if (queue.cancel(id)) return queue.get(id);
    const job = queue.get(id);
    if (job === undefined) return reply.code(404).send(errorBody('NotFound', { what: `no job "${id}"`, fix: 'use the id POST /api/jobs returned' }));
    return reply.code(409).send(errorBody('Conflict', { what: `job "${id}" already ${job.state}`, fix: 'nothing to cancel' }));
  });

  app.get<{ Params: { id: string } }>('/api/jobs/:id/events', (request, reply) => {
    const id = checkStoredId(request.params.id, 'URL → job id');
    if (queue.get(id) === undefined) return reply.code(404).send(errorBody('NotFound', { what: `no job "${id}"`, fix: 'use the id POST /api/jobs returned' }));
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    let ended = false;
    const send = (event: JobEvent): void => {
      if (ended) return;
      const data = event.kind === 'state' ? event.job : event.kind === 'progress' ? event.progress : { results: event.results };
      reply.raw.write(`event: ${event.kind}\ndata: ${JSON.stringify(data)}\n\n`);
      if (event.kind === 'state' && ['done', 'failed', 'cancelled'].includes(event.job.state)) {
        ended = true;
        reply.raw.end();
      }
    };
    // A finished job's stream ends inside subscribe (its state is replayed first); the queue drops listeners then.
    const unsubscribe = queue.subscribe(id, send);
    request.raw.on('close', () => unsubscribe?.());
    return reply;
  });

  app.get<{ Params: { file: string } }>('/api/results/:file', async (request, reply) => {
    const file = request.params.file;
    const id = checkStoredId(file.replace(/\.png$/, ''), 'URL → result');
    if (!file.endsWith('.png')) {
      const result = store.get(id);
      return result ?? reply.code(404).send(errorBody('NotFound', { what: `no result "${id}"`, fix: 'use an id from GET /api/results' }));
    }
    if (store.get(id) === undefined) return reply.code(404).send(errorBody('NotFound', { what: `no result image "${file}"`, fix: 'use a url from GET /api/results' }));
    return reply.type('image/png').header('cache-control', 'public, max-age=31536000, immutable').send(createReadStream(store.pngPath(id)));
  });

  app.get<{ Params: { id: string } }>('/api/documents/:id', async (request, reply) => {
    const id = checkStoredId(request.params.id, 'URL → job id');
    if (!existsSync(store.documentPath(id))) return reply.code(404).send(errorBody('NotFound', { what: `no document for job "${id}"`, fix: 'use a documentUrl from GET /api/results' }));
    return reply.type('application/json').send(createReadStream(store.documentPath(id)));
  });

  app.post('/api/import', async (request) => importUploadedFile(request.body));

  if (options.webRoot !== undefined && existsSync(options.webRoot)) {
    await app.register(fastifyStatic, { root: options.webRoot, prefix: '/', index: 'index.html' });
  }
  return { app, queue, store };
}

interface PreparedJob {
  readonly run: JobRun;
  readonly warnings: readonly ApiProblem[];
}

async function modelJson(m: ServerModel): Promise<ModelJson> {
  const nativeSizePx = await m.nativeSizePx?.();
  return { id: m.id, description: m.description, available: m.available?.() ?? true, ...(nativeSizePx === undefined ? {} : { nativeSizePx }) };
}

async function progressJson(e: ProgressEvent): Promise<JobEventMap['progress']> {
  const base = { stage: e.stage, step: e.step, total: e.total, ...(e.detail === undefined ? {} : { detail: e.detail }) };
  if (e.preview === undefined) return base;
  return { ...base, preview: await pngDataUri(e.preview) };
}

function errorBody(kind: string, problem: { what: string; where?: string; fix?: string }): ApiErrorBody {
  const message = problem.where === undefined ? problem.what : `${problem.where}: ${problem.what}`;
  return { error: { kind, message, problems: [problem] } };
}

/** Every thrown value as a JSON error: user errors 400 with all problems, Fastify's own 4xx kept, the rest 500. */
function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  if (isUserError(error)) return reply.code(400).send({ error: jobError(error) });
  const status = isRecord(error) && typeof error['statusCode'] === 'number' ? error['statusCode'] : 500;
  const message = error instanceof Error ? error.message : String(error);
  if (status >= 400 && status < 500) {
    const fix = isRecord(error) && typeof error['fix'] === 'string' ? error['fix'] : fixForStatus(status);
    return reply.code(status).send(errorBody(status === 413 ? 'TooLarge' : 'InputError', { what: message, fix }));
  }
  reply.log.error(error);
  return reply.code(500).send({ error: jobError(error) });
}

function fixForStatus(status: number): string {
  if (status === 413) return 'send a smaller document: fewer or smaller inline images';
  if (status === 415) return 'send JSON with content-type: application/json';
  return 'check the request body against the API (src/server/api-types.ts)';
}
