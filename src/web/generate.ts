// Generation from the editor: sends the document (hidden layers stay in it with "visible": false and the server
// leaves them out), follows the job's events into the progress bar and the live preview, hands results to the gallery.
import { ApiFailure, api, watchJob } from './api.ts';
import { byId, toast } from './dom.ts';
import type { EditorStore } from './history.ts';
import { toDocumentJson } from './model.ts';
import type { JobOptionsJson, ResultJson } from '../server/api-types.ts';

export interface GenerationUi {
  readonly onResults: (results: readonly ResultJson[]) => void;
}

export class GenerationController {
  readonly #store: EditorStore;
  readonly #ui: GenerationUi;
  #jobId: string | undefined;
  #close: (() => void) | undefined;

  constructor(store: EditorStore, ui: GenerationUi) {
    this.#store = store;
    this.#ui = ui;
    byId('generate').addEventListener('click', () => void this.generate());
    byId('cancel').addEventListener('click', () => void this.cancel());
  }

  get busy(): boolean {
    return this.#jobId !== undefined;
  }

  /** Options from the top bar; an empty seed box means a new random seed each time. */
  options(): JobOptionsJson {
    const seedText = byId<HTMLInputElement>('seed').value.trim();
    const steps = Number(byId<HTMLInputElement>('steps').value);
    const n = Number(byId<HTMLInputElement>('count').value);
    const model = byId<HTMLSelectElement>('model').value;
    return {
      ...(seedText === '' ? {} : { seed: Number(seedText) }),
      ...(Number.isInteger(steps) && steps > 0 ? { steps } : {}),
      ...(Number.isInteger(n) && n > 0 ? { n } : {}),
      ...(model === '' ? {} : { model }),
    };
  }

  async generate(): Promise<void> {
    if (this.busy) return toast('a generation is running: cancel it first (Esc)');
    if (this.#store.doc.layers.length === 0 && this.#store.doc.prompt.trim() === '') return toast('add layers and write a prompt first', { kind: 'error' });
    await this.#run('Generating', () => api.createJob(toDocumentJson(this.#store.doc), this.options()));
  }

  /** Re-generates layers of a result with the current document (method.md §7: the result is the new background). */
  async regenerate(resultId: string, layers: readonly string[]): Promise<void> {
    if (this.busy) return toast('a generation is running: cancel it first (Esc)');
    const { seed: _ignored, ...options } = this.options();
    await this.#run(`Re-generating ${layers.join(', ')}`, () => api.regenerate(resultId, layers, toDocumentJson(this.#store.doc), options));
  }

  async cancel(): Promise<void> {
    if (this.#jobId === undefined) return;
    try {
      await api.cancel(this.#jobId);
    } catch (e) {
      reportFailure(e);
    }
  }

  async #run(label: string, create: () => Promise<{ id: string; position: number }>): Promise<void> {
    this.#setBusy(true, `${label}…`, 0);
    let job;
    try {
      job = await create();
    } catch (e) {
      this.#setBusy(false);
      reportFailure(e);
      return;
    }
    this.#jobId = job.id;
    const preview = byId<HTMLImageElement>('live-preview');
    let warned = false;
    this.#close = watchJob(job.id, {
      state: (j) => {
        // A job that runs despite something (a canvas far from the model's native size) says so once.
        if (!warned && j.warnings !== undefined && j.warnings.length > 0) {
          warned = true;
          toast(`${label} anyway`, { kind: 'warning', problems: j.warnings });
        }
        if (j.state === 'queued') this.#setBusy(true, `${label}: waiting, ${j.position} ahead`, 0);
        if (j.state === 'failed') toast('generation failed', { kind: 'error', problems: j.error?.problems ?? [] });
        if (j.state === 'cancelled') toast('generation cancelled');
        if (j.state === 'done' || j.state === 'failed' || j.state === 'cancelled') this.#finish();
      },
      progress: (p) => {
        this.#setBusy(true, `${label}: ${p.stage} ${p.step}/${p.total}${p.detail ? ` · ${p.detail}` : ''}`, p.step / Math.max(1, p.total));
        if (p.preview !== undefined) {
          preview.src = p.preview;
          preview.hidden = false;
        }
      },
      result: (r) => this.#ui.onResults(r.results),
    });
  }

  #finish(): void {
    this.#close?.();
    this.#close = undefined;
    this.#jobId = undefined;
    this.#setBusy(false);
    setTimeout(() => (byId<HTMLImageElement>('live-preview').hidden = true), 600);
  }

  #setBusy(busy: boolean, label = '', fraction = 0): void {
    document.body.classList.toggle('busy', busy);
    byId<HTMLButtonElement>('generate').disabled = busy;
    byId<HTMLButtonElement>('cancel').hidden = !busy;
    byId('progress-label').textContent = busy ? label : 'Ready';
    byId('progress-fill').style.width = `${Math.round(fraction * 100)}%`;
  }
}

/** Shows a failed call with every problem the server listed. */
export function reportFailure(e: unknown): void {
  if (e instanceof ApiFailure) toast(e.message, { kind: 'error', problems: e.problems.length > 1 || e.problems[0]?.where !== undefined ? e.problems : [] });
  else toast(e instanceof Error ? e.message : String(e), { kind: 'error' });
}
