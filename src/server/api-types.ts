// The JSON shapes of the server's HTTP API (src/server/routes.ts), shared with the editor (src/web/): types only,
// no imports of Node or DOM, so both sides compile against one definition.

/** One problem of a rejected request, as src/errors.ts's Problem. */
export interface ApiProblem {
  readonly what: string;
  readonly where?: string;
  readonly fix?: string;
}

/** Every 4xx/5xx body: a one-line message and every problem (a collage document lists all of them). */
export interface ApiErrorBody {
  readonly error: { readonly kind: string; readonly message: string; readonly problems: readonly ApiProblem[] };
}

/** Options of a job; the document's own `generation` block gives the defaults. */
export interface JobOptionsJson {
  /** Seed of the first image; image k uses seed + k. */
  readonly seed?: number;
  /** Denoising steps. */
  readonly steps?: number;
  /** Images to make. @default 1 */
  readonly n?: number;
  /** Model id from GET /api/models. @default "embedded" */
  readonly model?: string;
}

/** POST /api/jobs body: the collage document JSON (images inline as data URIs) and options. */
export interface CreateJobBody {
  readonly document: unknown;
  readonly options?: JobOptionsJson;
}

/** POST /api/results/:id/regenerate body: which layers to re-generate; the document defaults to the result's. */
export interface RegenerateBody {
  readonly layers: readonly string[];
  readonly document?: unknown;
  readonly options?: JobOptionsJson;
}

export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A job as GET /api/jobs/:id and POST /api/jobs return it. */
export interface JobJson {
  readonly id: string;
  /** Order of acceptance, 1-based: jobs finish in this order when concurrency is 1. */
  readonly sequence: number;
  readonly state: JobState;
  /** Jobs ahead of this one in the queue (0 = next or running). */
  readonly position: number;
  readonly createdMs: number;
  readonly startedMs?: number;
  readonly finishedMs?: number;
  /** Result ids, once done. */
  readonly results: readonly string[];
  readonly error?: ApiErrorBody['error'];
  /**
   * Things the job runs despite, e.g. a canvas far from the model's native size (size-warning.ts): the editor shows
   * them; they are also kept in each result's `record.warnings`. Absent when there are none.
   */
  readonly warnings?: readonly ApiProblem[];
}

/** A generated image as GET /api/results lists it; the PNG is at `url`. */
export interface ResultJson {
  readonly id: string;
  readonly jobId: string;
  readonly createdMs: number;
  readonly url: string;
  /** The document sent (GET it back to edit or re-generate). */
  readonly documentUrl: string;
  readonly width: number;
  readonly height: number;
  readonly model: string;
  readonly seed: number;
  readonly steps: number;
  readonly prompt: string;
  readonly negativePrompt: string;
  /** Layers re-generated from `parent`; absent for a full generation. */
  readonly regenerate?: readonly string[];
  readonly parent?: string;
  /** What the generator recorded (timings, resolved per-layer controls, ...). */
  readonly record: Readonly<Record<string, unknown>>;
}

/** Server-sent events of GET /api/jobs/:id/events, by event name. */
export interface JobEventMap {
  /** The job's state changed (also sent first, on connect). */
  readonly state: JobJson;
  /** A progress step; `preview` is a small PNG data URI when the generator sent one. */
  readonly progress: { readonly stage: string; readonly step: number; readonly total: number; readonly detail?: string; readonly preview?: string };
  /** The job finished with these results. */
  readonly result: { readonly results: readonly ResultJson[] };
}

/** GET /api/models */
export interface ModelJson {
  readonly id: string;
  readonly description: string;
  /** False when its files are missing (a job would fail with the fix); the editor selects an available one. */
  readonly available: boolean;
  /**
   * The image side the model was trained at, px (UNet sample_size × VAE scale factor: SD 1.5 512, SD 2.1 768,
   * embedded 128): the editor starts new collages at nativeSizePx × nativeSizePx. Absent when unknown (the preview
   * generator, a model whose files are missing).
   */
  readonly nativeSizePx?: number;
}

/** POST /api/import body: a PSD / ORA / official-demo JSON file, base64. Returns { document } with data URIs. */
export interface ImportBody {
  readonly fileName: string;
  readonly base64: string;
}

/** GET /api/health */
export interface HealthJson {
  readonly ok: true;
  readonly running: number;
  readonly queued: number;
  readonly rssBytes: number;
}
