// The layers panel: top layer first (as in every design tool), with visibility, thumbnail, id and text; rows drag to
// reorder; buttons move, duplicate and delete. Hidden layers are dimmed and left out of generation.
import { h, mount } from './dom.ts';
import type { EditorStore } from './history.ts';
import { uniqueLayerId, type EditorDoc, type EditorLayer } from './model.ts';

export function renderLayersPanel(host: HTMLElement, store: EditorStore): void {
  let dragged: string | undefined;
  const render = (): void => {
    const { doc, selected } = store.state;
    const rows = [...doc.layers].reverse().map((layer) => {
      const row = h(
        'li',
        {
          class: `layer-row${layer.id === selected ? ' selected' : ''}${layer.visible ? '' : ' hidden'}`,
          draggable: 'true',
          'data-testid': `layer-row-${layer.id}`,
          onclick: () => store.select(layer.id),
          ondragstart: () => (dragged = layer.id),
          ondragover: (e: Event) => e.preventDefault(),
          ondrop: (e: Event) => {
            e.preventDefault();
            if (dragged !== undefined && dragged !== layer.id) store.commit(moveTo(store.doc, dragged, layer.id));
            dragged = undefined;
          },
        },
        h('button', { class: 'icon eye', title: layer.visible ? 'Hide (H): left out of generation' : 'Show (H)', 'data-testid': `toggle-${layer.id}`, onclick: (e: Event) => { e.stopPropagation(); store.commit(toggleVisible(store.doc, layer.id)); } }, layer.visible ? '◉' : '○'),
        h('img', { class: 'thumb', src: layer.image.url, alt: '' }),
        h('div', { class: 'layer-names' }, h('span', { class: 'layer-id' }, layer.id), h('span', { class: 'layer-text' }, layer.text || 'no text yet')),
      );
      return row;
    });
    const sel = doc.layers.find((l) => l.id === selected);
    mount(
      host,
      h('div', { class: 'panel-title' }, 'Layers', h('span', { class: 'count' }, String(doc.layers.length))),
      rows.length === 0 ? h('p', { class: 'empty' }, 'Drop PNG / JPEG files on the canvas, or Import a PSD, ORA or demo JSON.') : h('ul', { class: 'layer-list' }, ...rows),
      h(
        'div',
        { class: 'layer-actions' },
        h('button', { title: 'Bring forward (])', disabled: sel === undefined, onclick: () => sel && store.commit(moveBy(store.doc, sel.id, 1)) }, '↑'),
        h('button', { title: 'Send backward ([)', disabled: sel === undefined, onclick: () => sel && store.commit(moveBy(store.doc, sel.id, -1)) }, '↓'),
        h('button', { title: 'Duplicate (Ctrl+D)', disabled: sel === undefined, onclick: () => sel && duplicateLayer(store, sel.id) }, 'Duplicate'),
        h('button', { title: 'Delete (Del)', class: 'danger', 'data-testid': 'delete-layer', disabled: sel === undefined, onclick: () => sel && deleteLayer(store, sel.id) }, 'Delete'),
      ),
    );
  };
  store.subscribe(render);
  render();
}

export function toggleVisible(doc: EditorDoc, id: string): EditorDoc {
  return { ...doc, layers: doc.layers.map((l) => (l.id === id ? { ...l, visible: !l.visible } : l)) };
}

/** Moves a layer up (+1, towards the top) or down (−1) the stack. */
export function moveBy(doc: EditorDoc, id: string, delta: number): EditorDoc {
  const from = doc.layers.findIndex((l) => l.id === id);
  const to = Math.max(0, Math.min(doc.layers.length - 1, from + delta));
  if (from < 0 || from === to) return doc;
  const layers = [...doc.layers];
  const [layer] = layers.splice(from, 1);
  layers.splice(to, 0, layer!);
  return { ...doc, layers };
}

function moveTo(doc: EditorDoc, id: string, targetId: string): EditorDoc {
  const to = doc.layers.findIndex((l) => l.id === targetId);
  const from = doc.layers.findIndex((l) => l.id === id);
  return moveBy(doc, id, to - from);
}

/** Deletes a layer and its `{id}` placeholder from the prompt. */
export function deleteLayer(store: EditorStore, id: string): void {
  const doc = store.doc;
  const index = doc.layers.findIndex((l) => l.id === id);
  const layers = doc.layers.filter((l) => l.id !== id);
  store.commit({ ...doc, layers, prompt: removePlaceholder(doc.prompt, id) });
  const next = layers[Math.min(index, layers.length - 1)];
  store.select(next?.id);
}

export function duplicateLayer(store: EditorStore, id: string): void {
  const doc = store.doc;
  const layer = doc.layers.find((l) => l.id === id);
  if (layer === undefined) return;
  const copy: EditorLayer = { ...layer, id: uniqueLayerId(doc, layer.id), x: layer.x + 16, y: layer.y + 16 };
  const index = doc.layers.indexOf(layer);
  const layers = [...doc.layers.slice(0, index + 1), copy, ...doc.layers.slice(index + 1)];
  store.commit({ ...doc, layers, prompt: addPlaceholder(doc.prompt, copy.id) });
  store.select(copy.id);
}

/** Appends `{id}` to the prompt (", "-separated). */
export function addPlaceholder(prompt: string, id: string): string {
  const trimmed = prompt.trim();
  return trimmed.length === 0 ? `{${id}}` : `${trimmed.replace(/,\s*$/, '')}, {${id}}`;
}

/** Removes `{id}` and the separator next to it. */
export function removePlaceholder(prompt: string, id: string): string {
  const token = `{${id}}`;
  return prompt
    .replace(new RegExp(`,\\s*${escape(token)}`, 'g'), '')
    .replace(new RegExp(`${escape(token)}\\s*,?\\s*`, 'g'), '')
    .trim();
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
