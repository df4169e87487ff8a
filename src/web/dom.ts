// A tiny element builder and the toast, so the editor needs no UI framework (bundle size: issue 12 bench).

type Child = Node | string | number | false | null | undefined;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/**
 * Creates an element: `h('button', { class: 'x', onclick: f, 'data-testid': 'go' }, 'Go')`.
 * Keys starting with "on" become listeners; boolean true sets an empty attribute, false/undefined omit it.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
    else if (key === 'checked' && 'checked' in el) (el as HTMLInputElement).checked = value === true;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
  return el;
}

/** Replaces an element's children. */
export function mount(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (typeof c === 'object' ? c : String(c))));
}

/** The element with this id, or a thrown error naming it (index.html and the code disagree: a bug). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`index.html has no #${id}`);
  return el as T;
}

/** A problem the server or the editor reports, as the API's error body gives it. */
export interface ToastProblem {
  readonly what: string;
  readonly where?: string;
  readonly fix?: string;
}

/** How long a toast stays, ms, by kind; errors stay until clicked. */
const TOAST_MS = { info: 2500, warning: 12000 } as const;

/** Shows a message (and every problem with where and fix) for a while (TOAST_MS); errors stay until clicked. */
export function toast(message: string, options: { kind?: 'info' | 'warning' | 'error'; problems?: readonly ToastProblem[] } = {}): void {
  const kind = options.kind ?? 'info';
  const list = (options.problems ?? []).map((p) =>
    h('li', {}, p.where ? h('span', { class: 'where' }, p.where) : null, ' ', p.what, p.fix ? h('div', { class: 'fix' }, `→ ${p.fix}`) : null),
  );
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status', onclick: () => el.remove() }, h('strong', {}, message), list.length > 0 ? h('ul', {}, ...list) : null);
  byId('toasts').append(el);
  if (kind !== 'error') setTimeout(() => el.remove(), TOAST_MS[kind]);
}

/** True while the user types in a field (shortcuts then leave the keys alone). */
export function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}
