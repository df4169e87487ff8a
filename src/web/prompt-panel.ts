// The scene prompt with `{id}` chips (collage-format.md: `{id}` is replaced by that layer's text): chips insert a
// placeholder, show whether each visible layer is named, and the line below shows the text the model will read.
import { h, mount } from './dom.ts';
import type { EditorStore } from './history.ts';
import type { EditorDoc } from './model.ts';

const PLACEHOLDER = /\{([A-Za-z0-9_-]+)\}/g;

export function renderPromptPanel(host: HTMLElement, store: EditorStore): void {
  const prompt = h('textarea', {
    id: 'prompt', rows: '2', 'data-testid': 'prompt', spellcheck: 'true', placeholder: 'Describe the scene; click a chip to insert {id}, e.g. "{car} parked next to {dog} on a beach at sunset"',
    oninput: () => store.preview({ ...store.doc, prompt: prompt.value }),
    onchange: () => store.commit(),
  });
  const negative = h('input', {
    type: 'text', 'data-testid': 'negative-prompt', placeholder: 'Negative prompt: what the image should not show (e.g. blurry, text)',
    oninput: () => store.preview({ ...store.doc, negativePrompt: negative.value }),
    onchange: () => store.commit(),
  });
  const chips = h('div', { class: 'chips' });
  const resolved = h('div', { class: 'resolved', 'data-testid': 'resolved-prompt' });
  mount(host, chips, prompt, resolved, negative);

  const insert = (id: string): void => {
    const token = `{${id}}`;
    const start = prompt.selectionStart ?? prompt.value.length;
    const end = prompt.selectionEnd ?? start;
    const before = prompt.value.slice(0, start);
    const spacer = before.length > 0 && !/\s$/.test(before) ? ' ' : '';
    prompt.value = `${before}${spacer}${token}${prompt.value.slice(end)}`;
    store.commit({ ...store.doc, prompt: prompt.value });
    prompt.focus();
    prompt.selectionStart = prompt.selectionEnd = start + spacer.length + token.length;
  };

  const update = (): void => {
    const doc = store.doc;
    if (document.activeElement !== prompt && prompt.value !== doc.prompt) prompt.value = doc.prompt;
    if (document.activeElement !== negative && negative.value !== doc.negativePrompt) negative.value = doc.negativePrompt;
    const used = new Set([...doc.prompt.matchAll(PLACEHOLDER)].map((m) => m[1]!));
    mount(
      chips,
      ...doc.layers.map((layer) => {
        const named = used.has(layer.id) || (layer.text.length > 0 && doc.prompt.includes(layer.text));
        const state = !layer.visible ? 'hidden' : named ? 'used' : 'missing';
        const title = state === 'missing' ? 'Not in the prompt yet: click to insert' : state === 'hidden' ? 'Hidden: left out of generation' : `Replaced by “${layer.text}”`;
        return h('button', { class: `chip ${state}`, title, 'data-testid': `chip-${layer.id}`, onclick: () => insert(layer.id) }, `{${layer.id}}`, h('span', { class: 'chip-text' }, layer.text || '…'));
      }),
    );
    mount(resolved, ...resolvedParts(doc));
  };
  store.subscribe(update);
  update();
}

/** The scene text as the model reads it, placeholders replaced and highlighted (unknown ids in red). */
function resolvedParts(doc: EditorDoc): (HTMLElement | string)[] {
  if (doc.prompt.trim().length === 0) return [h('span', { class: 'muted' }, 'The resolved scene text appears here.')];
  const parts: (HTMLElement | string)[] = [];
  let last = 0;
  for (const m of doc.prompt.matchAll(PLACEHOLDER)) {
    parts.push(doc.prompt.slice(last, m.index));
    const layer = doc.layers.find((l) => l.id === m[1]);
    parts.push(layer === undefined ? h('span', { class: 'ph unknown', title: 'no layer has this id' }, m[0]) : h('span', { class: `ph${layer.visible ? '' : ' hidden'}` }, layer.text || `{${layer.id}}`));
    last = m.index + m[0].length;
  }
  parts.push(doc.prompt.slice(last));
  const missing = doc.layers.filter((l) => l.visible && !doc.prompt.includes(`{${l.id}}`) && !(l.text.length > 0 && doc.prompt.includes(l.text)));
  if (missing.length > 0) parts.push(h('span', { class: 'warn' }, `  · not in the prompt: ${missing.map((l) => l.id).join(', ')}`));
  return parts;
}
