// The generation job queue: FIFO, bounded concurrency (1 on CPU: two generations at once only thrash the cores),
// bounded length (beyond it submit refuses with a Retry-After estimate), cancel that frees the slot at once, and
// per-job event streams that replay the latest state to late subscribers (server-sent events in routes.ts).
import { randomBytes } from 'node:crypto';
import { CancelledError, isUserError } from '../errors.ts';
import type { ApiErrorBody, ApiProblem, JobEventMap, JobJson, JobState, ResultJson } from './api-types.ts';

/** What a job stream carries, in order: state changes, progress steps, the result. */
export type JobEvent =
  | { readonly kind: 'state'; readonly job: JobJson }
  | { readonly kind: 'progress'; readonly progress: JobEventMap['progress'] }
  | { readonly kind: 'result'; readonly results: readonly ResultJson[] };

/** The work of one job: generate, write the results, return them; checks `job.signal` between steps. */
export type JobRun = (
  job: { readonly id: string; readonly signal: AbortSignal },
  emitProgress: (p: JobEventMap['progress']) => void,
) => Promise<readonly ResultJson[]>;

export interface JobQueueOptions {
  /** Jobs running at once. @default 1 */
  readonly concurrency?: number;
  /** Jobs waiting (not counting running ones) before submit refuses. @default 16 */
  readonly maxQueued?: number;
  /** Finished jobs kept for GET /api/jobs/:id; older ones are forgotten (their results stay on disk). @default 256 */
  readonly keepFinished?: number;
}

export const DEFAULT_JOB_QUEUE_OPTIONS = Object.freeze({ concurrency: 1, maxQueued: 16, keepFinished: 256 });

interface Job {
  readonly id: string;
  readonly sequence: number;
  readonly createdMs: number;
  readonly run: JobRun;
  readonly controller: AbortController;
  readonly listeners: Set<(e: JobEvent) => void>;
  readonly warnings: readonly ApiProblem[];
  state: JobState;
  startedMs?: number;
  finishedMs?: number;
  results: readonly ResultJson[];
  error?: ApiErrorBody['error'];
  lastProgress?: JobEventMap['progress'];
}

/** Submit's answer when the queue is full. */
export interface QueueFull {
  readonly refused: true;
  /** Seconds until a slot is likely free (Retry-After). */
  readonly retryAfterS: number;
}

export class JobQueue {
  readonly options: Readonly<Required<JobQueueOptions>>;
  readonly #jobs = new Map<string, Job>();
  readonly #waiting: Job[] = [];
  #running = 0;
  #sequence = 0;
  /** Mean run time of finished jobs, ms (Retry-After estimate). */
  #meanRunMs = 5000;

  constructor(options: JobQueueOptions = {}) {
    const merged = { ...DEFAULT_JOB_QUEUE_OPTIONS, ...options };
    for (const key of ['concurrency', 'maxQueued', 'keepFinished'] as const) {
      if (!Number.isInteger(merged[key]) || merged[key] < (key === 'concurrency' ? 1 : 0)) {
        throw new RangeError(`JobQueue ${key} must be a whole number ≥ ${key === 'concurrency' ? 1 : 0}, got ${merged[key]}`);
      }
    }
    this.options = Object.freeze(merged);
  }

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** The refusal submit would give now, or undefined when a job would be accepted (checked before parsing a body). */
  refusal(): QueueFull | undefined {
    if (this.#waiting.length < this.options.maxQueued) return undefined;
    const slots = this.#waiting.length / this.options.concurrency + 1;
    return { refused: true, retryAfterS: Math.max(1, Math.ceil((slots * this.#meanRunMs) / 1000)) };
  }

  /**
   * Queues a job, or refuses when `maxQueued` jobs already wait.
   * @param warnings what the job runs despite (JobJson.warnings: every state event carries them)
   */
  submit(run: JobRun, warnings: readonly ApiProblem[] = []): JobJson | QueueFull {
    const refused = this.refusal();
    if (refused !== undefined) return refused;
    this.#sequence += 1;
    const job: Job = {
      id: `job-${this.#sequence}-${randomBytes(4).toString('hex')}`,
      sequence: this.#sequence,
      createdMs: Date.now(),
      run,
      controller: new AbortController(),
      listeners: new Set(),
      warnings,
      state: 'queued',
      results: [],
    };
    this.#jobs.set(job.id, job);
    this.#waiting.push(job);
    this.#pump();
    return this.#toJson(job);
  }

  get(id: string): JobJson | undefined {
    const job = this.#jobs.get(id);
    return job === undefined ? undefined : this.#toJson(job);
  }

  /**
   * Cancels a queued or running job. A running job's slot is freed at once; its generator sees the abort at its
   * next step and whatever it returns is dropped. @returns false when the job is unknown or already finished
   */
  cancel(id: string): boolean {
    const job = this.#jobs.get(id);
    if (job === undefined || (job.state !== 'queued' && job.state !== 'running')) return false;
    const wasRunning = job.state === 'running';
    if (!wasRunning) this.#waiting.splice(this.#waiting.indexOf(job), 1);
    job.controller.abort(new CancelledError('job'));
    this.#finish(job, 'cancelled', wasRunning);
    return true;
  }

  /**
   * Streams a job's events: first its result when done, its state and latest progress, then live ones.
   * @returns unsubscribe, or undefined for an unknown job
   */
  subscribe(id: string, listener: (e: JobEvent) => void): (() => void) | undefined {
    const job = this.#jobs.get(id);
    if (job === undefined) return undefined;
    // Same order as live: the result comes before the final state, which ends a stream.
    if (job.state === 'done') listener({ kind: 'result', results: job.results });
    listener({ kind: 'state', job: this.#toJson(job) });
    if (job.lastProgress !== undefined && job.state === 'running') listener({ kind: 'progress', progress: job.lastProgress });
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** Cancels everything (server shutdown). */
  cancelAll(): void {
    for (const job of [...this.#jobs.values()]) this.cancel(job.id);
  }

  #pump(): void {
    while (this.#running < this.options.concurrency && this.#waiting.length > 0) {
      const job = this.#waiting.shift()!;
      this.#running += 1;
      job.state = 'running';
      job.startedMs = Date.now();
      this.#emit(job, { kind: 'state', job: this.#toJson(job) });
      void this.#execute(job);
    }
    // Positions changed for everyone still waiting.
    for (const job of this.#waiting) this.#emit(job, { kind: 'state', job: this.#toJson(job) });
  }

  async #execute(job: Job): Promise<void> {
    const emitProgress = (progress: JobEventMap['progress']): void => {
      if (job.state !== 'running') return;
      job.lastProgress = progress;
      this.#emit(job, { kind: 'progress', progress });
    };
    try {
      const results = await job.run({ id: job.id, signal: job.controller.signal }, emitProgress);
      if (job.state !== 'running') return; // cancelled meanwhile: slot already freed
      job.results = results;
      this.#emit(job, { kind: 'result', results });
      this.#finish(job, 'done', true);
    } catch (e) {
      if (job.state !== 'running') return;
      if (e instanceof CancelledError) {
        this.#finish(job, 'cancelled', true);
        return;
      }
      job.error = jobError(e);
      this.#finish(job, 'failed', true);
    }
  }

  #finish(job: Job, state: JobState, freesSlot: boolean): void {
    job.state = state;
    job.finishedMs = Date.now();
    if (freesSlot) {
      this.#running -= 1;
      if (state === 'done' && job.startedMs !== undefined) {
        this.#meanRunMs = 0.8 * this.#meanRunMs + 0.2 * (job.finishedMs - job.startedMs);
      }
    }
    this.#emit(job, { kind: 'state', job: this.#toJson(job) });
    job.listeners.clear();
    this.#forgetOldJobs();
    this.#pump();
  }

  #forgetOldJobs(): void {
    const finished = [...this.#jobs.values()].filter((j) => j.finishedMs !== undefined);
    for (const job of finished.slice(0, Math.max(0, finished.length - this.options.keepFinished))) this.#jobs.delete(job.id);
  }

  #emit(job: Job, event: JobEvent): void {
    for (const listener of job.listeners) listener(event);
  }

  #toJson(job: Job): JobJson {
    const position = job.state === 'queued' ? this.#waiting.indexOf(job) : 0;
    return {
      id: job.id,
      sequence: job.sequence,
      state: job.state,
      position,
      createdMs: job.createdMs,
      ...(job.startedMs === undefined ? {} : { startedMs: job.startedMs }),
      ...(job.finishedMs === undefined ? {} : { finishedMs: job.finishedMs }),
      results: job.results.map((r) => r.id),
      ...(job.error === undefined ? {} : { error: job.error }),
      ...(job.warnings.length === 0 ? {} : { warnings: job.warnings }),
    };
  }
}

/** A thrown value as the API's error body; user errors keep every problem, anything else is an internal error. */
export function jobError(e: unknown): ApiErrorBody['error'] {
  if (isUserError(e)) return { kind: e.name, message: e.message, problems: e.problems };
  const message = e instanceof Error ? e.message : String(e);
  return { kind: 'InternalError', message, problems: [{ what: message, fix: 'see the server log; please report it' }] };
}
