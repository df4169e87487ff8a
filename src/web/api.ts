// The editor's client of the server API (src/server/api-types.ts): JSON calls that throw ApiFailure with every
// problem the server listed, and job event streams over server-sent events.
import type { ApiErrorBody, ApiProblem, JobEventMap, JobJson, JobOptionsJson, ModelJson, ResultJson } from '../server/api-types.ts';

/** A refused or failed call: the server's message and problems (what / where / fix). */
export class ApiFailure extends Error {
  readonly problems: readonly ApiProblem[];
  readonly status: number;
  constructor(status: number, message: string, problems: readonly ApiProblem[]) {
    super(message);
    this.status = status;
    this.problems = problems;
  }
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    throw new ApiFailure(0, 'the server does not answer', [{ what: `cannot reach ${location.origin}`, fix: 'start it with `npx collage-diffusion serve`' }]);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text.length === 0 ? undefined : JSON.parse(text);
  } catch {
    throw new ApiFailure(res.status, `the server answered ${res.status} with non-JSON`, []);
  }
  if (!res.ok) {
    const error = (json as Partial<ApiErrorBody> | undefined)?.error;
    const retry = res.headers.get('retry-after');
    const message = error?.message ?? `HTTP ${res.status}`;
    throw new ApiFailure(res.status, retry === null ? message : `${message} (retry in ${retry} s)`, error?.problems ?? []);
  }
  return json as T;
}

export const api = {
  models: () => call<ModelJson[]>('GET', '/api/models'),
  results: () => call<ResultJson[]>('GET', '/api/results'),
  result: (id: string) => call<ResultJson>('GET', `/api/results/${encodeURIComponent(id)}`),
  document: (url: string) => call<unknown>('GET', url),
  createJob: (document: unknown, options: JobOptionsJson) => call<JobJson>('POST', '/api/jobs', { document, options }),
  regenerate: (resultId: string, layers: readonly string[], document: unknown, options: JobOptionsJson) =>
    call<JobJson>('POST', `/api/results/${encodeURIComponent(resultId)}/regenerate`, { layers, document, options }),
  cancel: (jobId: string) => call<JobJson>('DELETE', `/api/jobs/${encodeURIComponent(jobId)}`),
  importFile: (fileName: string, base64: string) => call<{ document: unknown }>('POST', '/api/import', { fileName, base64 }),
};

export interface JobHandlers {
  readonly state: (job: JobJson) => void;
  readonly progress: (p: JobEventMap['progress']) => void;
  readonly result: (r: JobEventMap['result']) => void;
}

const FINAL_STATES: readonly string[] = ['done', 'failed', 'cancelled'];

/**
 * Follows a job's events until it ends. When the event stream drops (a proxy, a sleeping laptop), it polls the job
 * once a second instead, so the editor never waits on a job that has finished. @returns close
 */
export function watchJob(jobId: string, handlers: JobHandlers): () => void {
  let closed = false;
  const source = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/events`);
  const on = <K extends keyof JobHandlers>(name: K): void =>
    source.addEventListener(name, (e) => {
      if (!closed) handlers[name](JSON.parse((e as MessageEvent<string>).data) as never);
    });
  on('result');
  on('progress');
  on('state');
  // The server ends the stream after the final state; EventSource would reconnect, so close instead.
  source.addEventListener('state', (e) => {
    if (FINAL_STATES.includes((JSON.parse((e as MessageEvent<string>).data) as JobJson).state)) close();
  });
  source.onerror = () => {
    source.close();
    if (!closed) void poll();
  };
  const poll = async (): Promise<void> => {
    while (!closed) {
      await new Promise((r) => setTimeout(r, 1000));
      let job: JobJson;
      try {
        job = await call<JobJson>('GET', `/api/jobs/${encodeURIComponent(jobId)}`);
      } catch {
        continue; // the server may be restarting: keep asking
      }
      if (closed) return;
      if (job.state === 'done') handlers.result({ results: await Promise.all(job.results.map((id) => api.result(id))) });
      handlers.state(job);
      if (FINAL_STATES.includes(job.state)) close();
    }
  };
  const close = (): void => {
    closed = true;
    source.close();
  };
  return close;
}
