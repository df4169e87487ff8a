// The inspector: the selected layer's id, text, placement and generation controls (noise, attention w⁺/w⁻,
// inversion) with the size-based auto values shown beside each override (method.md §4, §6), and the canvas settings.
// Fields are built once per selected layer and updated in place, so typing never loses focus.
import { h, mount, toast } from './dom.ts';
import type { EditorStore } from './history.ts';
import { autoValues, layerSize, withOptional, type EditorDoc, type EditorLayer } from './model.ts';

const LAYER_ID = /^[A-Za-z0-9_-]+$/;

type Values = Record<string, string | number | boolean>;

export function renderInspector(host: HTMLElement, store: EditorStore): void {
  let builtFor: string | undefined = '\u0000';
  const update = (): void => {
    const { doc, selected } = store.state;
    const layer = doc.layers.find((l) => l.id === selected);
    if ((layer?.id ?? undefined) !== builtFor) {
      builtFor = layer?.id;
      mount(host, ...(layer === undefined ? [] : layerFields(store, layer.id)), ...documentFields(store));
    }
    fill(host, { ...(layer === undefined ? {} : layerValues(doc, layer)), ...documentValues(doc) });
  };
  store.subscribe(update);
  update();
}

/** Sets every [data-field] element that is not being edited, and every [data-out] text. */
function fill(host: HTMLElement, values: Values): void {
  for (const el of host.querySelectorAll<HTMLInputElement>('[data-field]')) {
    const v = values[el.dataset['field']!];
    if (v === undefined || el === document.activeElement) continue;
    if (el.type === 'checkbox') el.checked = v === true;
    else el.value = String(v);
  }
  for (const el of host.querySelectorAll<HTMLElement>('[data-out]')) {
    const v = values[el.dataset['out']!];
    if (v !== undefined) el.textContent = String(v);
  }
  for (const el of host.querySelectorAll<HTMLElement>('[data-auto]')) {
    el.classList.toggle('is-auto', values[`${el.dataset['auto']!}Auto`] === true);
  }
}

function layerValues(doc: EditorDoc, layer: EditorLayer): Values {
  const auto = autoValues(doc, layer);
  const size = layerSize(layer);
  return {
    id: layer.id,
    text: layer.text,
    x: Math.round(layer.x),
    y: Math.round(layer.y),
    scale: Math.round(layer.scale * 1000) / 1000,
    rotation: Math.round(layer.rotation * 10) / 10,
    size: `${Math.round(size.width)} × ${Math.round(size.height)} px${layer.stretchX !== 1 || layer.stretchY !== 1 ? ' (stretched)' : ''}`,
    ratio: `size ratio r = ${auto.ratio.toFixed(2)}`,
    noise: layer.noise ?? auto.noise,
    noiseOut: (layer.noise ?? auto.noise).toFixed(2),
    noiseHint: `auto ${auto.noise.toFixed(2)}${doc.layers.filter((l) => l.visible).at(-1)?.id === layer.id ? ' (top layer)' : ''}`,
    noiseAuto: layer.noise === undefined,
    positive: layer.positive ?? auto.positive,
    positiveOut: (layer.positive ?? auto.positive).toFixed(2),
    positiveHint: `auto ${auto.positive.toFixed(2)}`,
    positiveAuto: layer.positive === undefined,
    negative: layer.negative ?? auto.negative,
    negativeOut: (layer.negative ?? auto.negative).toFixed(2),
    negativeHint: `auto ${auto.negative.toFixed(2)}`,
    negativeAuto: layer.negative === undefined,
    invert: layer.invert,
  };
}

function documentValues(doc: EditorDoc): Values {
  return { width: doc.width, height: doc.height, background: doc.background };
}

/** Applies a change to the selected layer: `commit` false previews (while dragging a slider). */
function editLayer(store: EditorStore, id: string, change: (l: EditorLayer) => EditorLayer, commit: boolean): void {
  const doc = store.doc;
  const next = { ...doc, layers: doc.layers.map((l) => (l.id === id ? change(l) : l)) };
  if (commit) store.commit(next);
  else store.preview(next);
}

function layerFields(store: EditorStore, id: string): HTMLElement[] {
  const number = (field: 'x' | 'y' | 'scale' | 'rotation', label: string, step: string, min?: string) =>
    h('label', { class: 'field small' }, label, h('input', {
      type: 'number', step, ...(min === undefined ? {} : { min }), 'data-field': field, 'data-testid': `layer-${field}`,
      onchange: (e: Event) => {
        const v = Number((e.target as HTMLInputElement).value);
        if (!Number.isFinite(v) || (field === 'scale' && (v <= 0 || v > 64))) return toast(`${field} must be a number${field === 'scale' ? ' in (0, 64]' : ''}`, { kind: 'error' });
        editLayer(store, id, (l) => {
          if (field !== 'scale') return { ...l, [field]: v };
          // Scale about the centre, as the handles do.
          const before = layerSize(l);
          const after = layerSize({ ...l, scale: v });
          return { ...l, scale: v, x: l.x + (before.width - after.width) / 2, y: l.y + (before.height - after.height) / 2 };
        }, true);
      },
    }));
  const slider = (field: 'noise' | 'positive' | 'negative', label: string, max: number, help: string) =>
    h('div', { class: 'control', 'data-auto': field },
      h('div', { class: 'control-head' },
        h('span', { class: 'control-label', title: help }, label),
        h('span', { class: 'control-value', 'data-out': `${field}Out` }),
        h('button', { class: 'auto-chip', title: 'Use the size-based auto value', 'data-testid': `auto-${field}`, onclick: () => editLayer(store, id, (l) => withOptional(l, { [field]: undefined }), true) }, h('span', { 'data-out': `${field}Hint` })),
      ),
      h('input', {
        type: 'range', min: '0', max: String(max), step: '0.01', 'data-field': field, 'data-testid': `slider-${field}`,
        oninput: (e: Event) => editLayer(store, id, (l) => withOptional(l, { [field]: Number((e.target as HTMLInputElement).value) }), false),
        onchange: () => store.commit(),
      }),
    );
  return [
    h('div', { class: 'panel-title' }, 'Layer', h('span', { class: 'muted', 'data-out': 'size' })),
    h('label', { class: 'field' }, 'Id (used as {id} in the prompt)', h('input', {
      type: 'text', 'data-field': 'id', 'data-testid': 'layer-id', spellcheck: 'false',
      onchange: (e: Event) => renameLayer(store, id, (e.target as HTMLInputElement).value.trim(), e.target as HTMLInputElement),
    })),
    h('label', { class: 'field' }, 'Text: what this layer shows', h('textarea', {
      rows: '2', 'data-field': 'text', 'data-testid': 'layer-text', placeholder: 'e.g. a red vintage car',
      oninput: (e: Event) => editLayer(store, id, (l) => ({ ...l, text: (e.target as HTMLTextAreaElement).value }), false),
      onchange: () => store.commit(),
    })),
    h('div', { class: 'row' }, number('x', 'X', '1'), number('y', 'Y', '1'), number('scale', 'Scale', '0.01', '0.01'), number('rotation', 'Rotate °', '1')),
    h('button', { class: 'link', title: 'Undo a free (non-uniform) scale', onclick: () => editLayer(store, id, (l) => ({ ...l, stretchX: 1, stretchY: 1 }), true) }, 'Reset aspect'),
    h('div', { class: 'panel-title' }, 'Generation', h('span', { class: 'muted', 'data-out': 'ratio' })),
    slider('noise', 'Noise strength', 1, '0 keeps the pixels, 1 re-imagines the layer (method §6)'),
    slider('positive', 'Attention w⁺', 2, 'Pull of the layer text towards its region (method §4)'),
    slider('negative', 'Attention w⁻', 2, 'Push of the layer text away from other regions (method §4)'),
    h('label', { class: 'toggle' }, h('input', { type: 'checkbox', 'data-field': 'invert', 'data-testid': 'layer-invert', onchange: (e: Event) => editLayer(store, id, (l) => ({ ...l, invert: (e.target as HTMLInputElement).checked }), true) }), h('span', {}, 'Learn this layer’s look (textual inversion)')),
  ];
}

function documentFields(store: EditorStore): HTMLElement[] {
  const side = (field: 'width' | 'height') =>
    h('label', { class: 'field small' }, field === 'width' ? 'Width' : 'Height', h('input', {
      type: 'number', min: '64', max: '2048', step: '64', 'data-field': field, 'data-testid': `canvas-${field}`,
      onchange: (e: Event) => {
        const v = Number((e.target as HTMLInputElement).value);
        if (!Number.isInteger(v) || v < 64 || v > 4096 || v % 8 !== 0) return toast(`${field} ${v} is not a multiple of 8 in [64, 4096]`, { kind: 'error' });
        store.commit({ ...store.doc, [field]: v });
      },
    }));
  return [
    h('div', { class: 'panel-title' }, 'Canvas'),
    h('div', { class: 'row' }, side('width'), side('height'), h('label', { class: 'field small' }, 'Background', h('input', {
      type: 'color', 'data-field': 'background', 'data-testid': 'canvas-background',
      oninput: (e: Event) => store.preview({ ...store.doc, background: (e.target as HTMLInputElement).value }),
      onchange: () => store.commit(),
    }))),
  ];
}

/** Renames a layer and its `{id}` placeholders; refuses a bad or taken id. */
function renameLayer(store: EditorStore, id: string, next: string, input: HTMLInputElement): void {
  const doc = store.doc;
  if (next === id) return;
  if (!LAYER_ID.test(next) || doc.layers.some((l) => l.id === next)) {
    toast(`cannot rename to "${next}"`, { kind: 'error', problems: [{ what: LAYER_ID.test(next) ? 'another layer has this id' : 'ids use letters, digits, "_" and "-" only', fix: 'choose another id' }] });
    input.value = id;
    return;
  }
  const prompt = doc.prompt.split(`{${id}}`).join(`{${next}}`);
  store.commit({ ...doc, prompt, layers: doc.layers.map((l) => (l.id === id ? { ...l, id: next } : l)) });
  store.select(next);
}
