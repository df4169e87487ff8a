// The model menu and a canvas that follows the model (issue 12): a new collage starts at the selected model's native
// size (GET /api/models → nativeSizePx: embedded 128, SD 1.5 512); switching the model on an empty canvas follows it;
// on a canvas with layers nothing resizes silently: a chip next to the menu offers it (layers scale with the canvas,
// one undo step).
import { api } from './api.ts';
import { byId, h, mount } from './dom.ts';
import type { EditorStore } from './history.ts';
import { DEFAULT_CANVAS_PX, nativeCanvasSize, resizeDoc } from './model.ts';
import type { ModelJson } from '../server/api-types.ts';

export class ModelMenu {
  readonly #store: EditorStore;
  readonly #select: HTMLSelectElement;
  readonly #offer: HTMLButtonElement;
  #models: readonly ModelJson[] = [];

  /** Fills `#model` from the server, selects the first available model and keeps `#resize-canvas` up to date. */
  constructor(store: EditorStore) {
    this.#store = store;
    this.#select = byId<HTMLSelectElement>('model');
    this.#offer = byId<HTMLButtonElement>('resize-canvas');
    this.#select.addEventListener('change', () => this.#follow());
    this.#offer.addEventListener('click', () => this.resizeToNative());
    store.subscribe(() => this.#updateOffer());
    void api.models().then((models) => {
      this.#models = models;
      mount(this.#select, ...models.map((m) => h('option', { value: m.id, title: m.description }, m.available ? m.id : `${m.id} (not installed)`)));
      this.#select.value = models.find((m) => m.available)?.id ?? models[0]?.id ?? '';
      this.#follow();
    }, () => undefined);
  }

  /** The selected model's native image side, px; undefined while unknown (the preview generator, models loading). */
  get nativeSizePx(): number | undefined {
    return this.#models.find((m) => m.id === this.#select.value)?.nativeSizePx;
  }

  /** The side of a new collage, px: the native size, else DEFAULT_CANVAS_PX. */
  get newCanvasPx(): number {
    return this.nativeSizePx ?? DEFAULT_CANVAS_PX;
  }

  /** Resizes the canvas to the selected model's native size, layers scaled with it, as one undo step. */
  resizeToNative(): void {
    const target = this.#target();
    if (target === undefined) return;
    this.#store.commit(resizeDoc(this.#store.doc, target.width, target.height));
  }

  /** The native-size canvas when it differs from the current one. */
  #target(): { width: number; height: number } | undefined {
    const native = this.nativeSizePx;
    if (native === undefined) return undefined;
    const doc = this.#store.doc;
    const target = nativeCanvasSize(doc, native);
    return target.width === doc.width && target.height === doc.height ? undefined : target;
  }

  /** An empty canvas takes the model's size; a fresh editor without history keeps no undo step for it. */
  #follow(): void {
    const target = this.#target();
    const doc = this.#store.doc;
    if (target === undefined || doc.layers.length > 0) return this.#updateOffer();
    const next = { ...doc, width: target.width, height: target.height };
    if (this.#store.canUndo) this.#store.commit(next);
    else this.#store.reset(next);
  }

  #updateOffer(): void {
    const target = this.#target();
    this.#offer.hidden = target === undefined;
    if (target === undefined) return;
    const size = `${target.width}×${target.height}`;
    this.#offer.textContent = `⤢ ${size}`;
    this.#offer.title = `Resize the canvas to ${size}: ${this.#select.value} was trained at ${this.nativeSizePx}×${this.nativeSizePx} px (layers scale with the canvas; Ctrl+Z undoes)`;
  }
}
