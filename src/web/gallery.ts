// The gallery of every result in the output folder (not only the last batch), newest first, and the lightbox:
// the image large with its settings, download, open its document, reuse its seed, re-generate chosen layers.
import { api } from './api.ts';
import { byId, h, mount } from './dom.ts';
import type { EditorStore } from './history.ts';
import type { ResultJson } from '../server/api-types.ts';

export interface GalleryActions {
  readonly regenerate: (resultId: string, layers: readonly string[]) => void;
  readonly openDocument: (result: ResultJson) => void;
}

export class Gallery {
  readonly #host: HTMLElement;
  readonly #store: EditorStore;
  readonly #actions: GalleryActions;
  #results: ResultJson[] = [];
  #open: number | undefined;

  constructor(host: HTMLElement, store: EditorStore, actions: GalleryActions) {
    this.#host = host;
    this.#store = store;
    this.#actions = actions;
    this.render();
    void api.results().then((results) => {
      this.#results = results;
      this.render();
    }, () => undefined);
  }

  get isOpen(): boolean {
    return this.#open !== undefined;
  }

  add(results: readonly ResultJson[]): void {
    const ids = new Set(results.map((r) => r.id));
    this.#results = [...results, ...this.#results.filter((r) => !ids.has(r.id))];
    this.render();
  }

  render(): void {
    const cards = this.#results.map((result, index) =>
      h('button', { class: 'card', 'data-testid': 'gallery-card', title: result.prompt, onclick: () => this.openAt(index) },
        h('img', { src: result.url, alt: `result ${result.id}`, loading: 'lazy' }),
        h('span', { class: 'badge' }, `#${result.seed}`),
        result.regenerate === undefined ? null : h('span', { class: 'badge regen' }, `↻ ${result.regenerate.join(', ')}`),
      ),
    );
    mount(this.#host,
      h('div', { class: 'panel-title' }, 'Results', h('span', { class: 'count', 'data-testid': 'result-count' }, String(this.#results.length))),
      cards.length === 0 ? h('p', { class: 'empty' }, 'Generated images appear here, every one of them, with their settings.') : h('div', { class: 'cards' }, ...cards),
    );
  }

  openAt(index: number): void {
    const result = this.#results[index];
    if (result === undefined) return;
    this.#open = index;
    const layers = this.#store.doc.layers.filter((l) => l.visible);
    const selected = this.#store.state.selected;
    const checks = layers.map((l) =>
      h('label', { class: 'check' }, h('input', { type: 'checkbox', value: l.id, checked: l.id === selected, 'data-testid': `regen-${l.id}` }), h('span', {}, l.id)),
    );
    const row = (k: string, v: string | number | undefined): HTMLElement | null => (v === undefined || v === '' ? null : h('div', { class: 'kv' }, h('span', {}, k), h('span', {}, String(v))));
    const box = h('div', { class: 'lightbox', role: 'dialog', 'aria-label': 'Result', 'data-testid': 'lightbox', onclick: (e: Event) => e.target === box && this.close() },
      h('button', { class: 'nav prev', title: 'Newer (←)', onclick: () => this.step(-1), disabled: index === 0 }, '‹'),
      h('figure', {}, h('img', { src: result.url, alt: result.prompt })),
      h('aside', {},
        h('div', { class: 'panel-title' }, 'Result', h('button', { class: 'icon', title: 'Close (Esc)', onclick: () => this.close() }, '✕')),
        h('p', { class: 'prompt-text' }, result.prompt),
        row('Negative', result.negativePrompt),
        row('Seed', result.seed),
        row('Steps', result.steps),
        row('Model', result.model),
        row('Size', `${result.width} × ${result.height}`),
        row('Re-generated', result.regenerate?.join(', ')),
        row('From', result.parent),
        row('Made', new Date(result.createdMs).toLocaleString()),
        h('div', { class: 'actions' },
          h('a', { class: 'button', href: result.url, download: `collage-${result.id}.png`, 'data-testid': 'download' }, 'Download PNG'),
          h('button', { onclick: () => { byId<HTMLInputElement>('seed').value = String(result.seed); this.close(); } }, 'Use seed'),
          h('button', { onclick: () => { this.close(); this.#actions.openDocument(result); } }, 'Open its collage'),
        ),
        h('div', { class: 'panel-title' }, 'Re-generate layers'),
        layers.length === 0 ? h('p', { class: 'muted' }, 'The current collage has no visible layers.') : h('div', { class: 'checks' }, ...checks),
        h('button', { class: 'primary', 'data-testid': 'regenerate', onclick: () => {
          const chosen = checks.map((c) => c.querySelector('input')!).filter((i) => i.checked).map((i) => i.value);
          if (chosen.length === 0) return;
          this.close();
          this.#actions.regenerate(result.id, chosen);
        } }, 'Re-generate selected layers'),
        h('p', { class: 'muted small' }, 'Keeps this image and re-imagines the chosen layers as placed in the current collage.'),
      ),
      h('button', { class: 'nav next', title: 'Older (→)', onclick: () => this.step(1), disabled: index === this.#results.length - 1 }, '›'),
    );
    mount(byId('overlay'), box);
  }

  step(delta: number): void {
    if (this.#open !== undefined) this.openAt(Math.max(0, Math.min(this.#results.length - 1, this.#open + delta)));
  }

  close(): void {
    this.#open = undefined;
    mount(byId('overlay'));
  }
}
