// The collage editor (issue 12): wires the store, the canvas, the panels, generation, the gallery, files and
// shortcuts onto index.html. Served by `collage-diffusion serve`; talks only to that server's /api.
import './styles.css';
import { api } from './api.ts';
import { byId, h, mount, toast } from './dom.ts';
import { handleFiles, openDocument, saveDocument } from './files.ts';
import { Gallery } from './gallery.ts';
import { GenerationController, reportFailure } from './generate.ts';
import { EditorStore } from './history.ts';
import { renderInspector } from './inspector.ts';
import { deleteLayer, duplicateLayer, moveBy, renderLayersPanel, toggleVisible } from './layers-panel.ts';
import { EMPTY_DOC, emptyDoc, fromDocumentJson } from './model.ts';
import { ModelMenu } from './model-menu.ts';
import { renderPromptPanel } from './prompt-panel.ts';
import { installShortcuts, keyIs, type Shortcut } from './shortcuts.ts';
import { Stage, TOOLS, type Tool } from './stage.ts';

const store = new EditorStore(EMPTY_DOC);
let tool: Tool = 'move';

const stage = new Stage(byId('stage'), store, {
  tool: () => tool,
  tolerance: () => Number(byId<HTMLInputElement>('tolerance').value),
  onMessage: (text) => toast(text),
});
renderLayersPanel(byId('layers'), store);
renderInspector(byId('inspector'), store);
renderPromptPanel(byId('prompt-panel'), store);

const modelMenu = new ModelMenu(store);
const generation = new GenerationController(store, { onResults: (results) => gallery.add(results) });
const gallery = new Gallery(byId('gallery'), store, {
  regenerate: (id, layers) => void generation.regenerate(id, layers),
  openDocument: (result) =>
    void api.document(result.documentUrl).then(async (json) => openDocument(store, await fromDocumentJson(json)), reportFailure),
});

function setTool(next: Tool): void {
  if (tool === 'lasso' && next !== 'lasso') stage.cancelGesture();
  tool = next;
  for (const t of TOOLS) byId(`tool-${t}`).classList.toggle('active', t === next);
  byId('tool-options').hidden = next !== 'wand';
  const hints: Record<Tool, string> = {
    move: 'Drag to move · corners scale · edges (or Shift+corner) stretch · the stalk rotates (Shift snaps 15°)',
    lasso: 'Click around what to keep · click the first point, double-click or Enter to cut · Esc cancels',
    wand: 'Click a plain background to clear it (Alt+click: every similar pixel, not only the connected ones)',
  };
  byId('hint').textContent = hints[next];
  stage.render();
}
for (const t of TOOLS) byId(`tool-${t}`).addEventListener('click', () => setTool(t));

// Files: the toolbar buttons, the hidden inputs, and drops anywhere on the window.
const fileInput = byId<HTMLInputElement>('file-input');
fileInput.addEventListener('change', () => {
  void handleFiles(store, [...(fileInput.files ?? [])]);
  fileInput.value = '';
});
byId('add-layer').addEventListener('click', () => fileInput.click());
byId('open').addEventListener('click', () => fileInput.click());
byId('save').addEventListener('click', () => saveDocument(store));
byId('new').addEventListener('click', () => {
  if (store.doc.layers.length === 0 || confirm('Start a new collage? (Undo keeps nothing of this one.)')) store.reset(emptyDoc(modelMenu.newCanvasPx));
});
byId('undo').addEventListener('click', () => store.undo());
byId('redo').addEventListener('click', () => store.redo());
store.subscribe(() => {
  byId<HTMLButtonElement>('undo').disabled = !store.canUndo;
  byId<HTMLButtonElement>('redo').disabled = !store.canRedo;
});
let dragDepth = 0;
window.addEventListener('dragenter', (e) => {
  e.preventDefault();
  dragDepth++;
  document.body.classList.add('dropping');
});
window.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) document.body.classList.remove('dropping');
});
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  document.body.classList.remove('dropping');
  const files = [...(e.dataTransfer?.files ?? [])];
  if (files.length > 0) void handleFiles(store, files);
});

const selected = (): string | undefined => store.state.selected;
const nudge = (dx: number, dy: number) => (e: KeyboardEvent): void => {
  const id = selected();
  if (id === undefined) return;
  const step = e.shiftKey ? 10 : 1;
  const doc = store.doc;
  store.commit({ ...doc, layers: doc.layers.map((l) => (l.id === id ? { ...l, x: l.x + dx * step, y: l.y + dy * step } : l)) });
};
const arrow = (key: string) => (e: KeyboardEvent): boolean => e.key === key && !e.ctrlKey && !e.metaKey && !e.altKey;
const shortcuts: Shortcut[] = [
  { keys: 'Ctrl+Z', does: 'Undo', match: keyIs('z', true, false), run: () => store.undo() },
  { keys: 'Ctrl+Shift+Z / Ctrl+Y', does: 'Redo', match: (e) => keyIs('z', true, true)(e) || keyIs('y', true)(e), run: () => store.redo() },
  { keys: 'Ctrl+Enter', does: 'Generate', match: (e) => e.key === 'Enter' && (e.ctrlKey || e.metaKey), run: () => void generation.generate(), inFields: true },
  { keys: 'Ctrl+S', does: 'Save the collage', match: keyIs('s', true), run: () => saveDocument(store), inFields: true },
  { keys: 'Ctrl+O', does: 'Open / add files', match: keyIs('o', true), run: () => fileInput.click() },
  { keys: 'Ctrl+D', does: 'Duplicate layer', match: keyIs('d', true), run: () => { const id = selected(); if (id !== undefined) duplicateLayer(store, id); } },
  { keys: 'Del', does: 'Delete layer', match: (e) => e.key === 'Delete' || e.key === 'Backspace', run: () => { const id = selected(); if (id !== undefined) deleteLayer(store, id); } },
  { keys: 'H', does: 'Hide / show layer', match: keyIs('h'), run: () => { const id = selected(); if (id !== undefined) store.commit(toggleVisible(store.doc, id)); } },
  { keys: ']', does: 'Bring forward', match: keyIs(']'), run: () => { const id = selected(); if (id !== undefined) store.commit(moveBy(store.doc, id, 1)); } },
  { keys: '[', does: 'Send backward', match: keyIs('['), run: () => { const id = selected(); if (id !== undefined) store.commit(moveBy(store.doc, id, -1)); } },
  { keys: '← ↑ → ↓', does: 'Nudge 1 px (Shift: 10 px)', match: (e) => ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].some((k) => arrow(k)(e)) && !gallery.isOpen, run: (e) => nudge(e.key === 'ArrowLeft' ? -1 : e.key === 'ArrowRight' ? 1 : 0, e.key === 'ArrowUp' ? -1 : e.key === 'ArrowDown' ? 1 : 0)(e) },
  { keys: '← →', does: 'Newer / older result (lightbox)', match: (e) => gallery.isOpen && (e.key === 'ArrowLeft' || e.key === 'ArrowRight'), run: (e) => gallery.step(e.key === 'ArrowLeft' ? -1 : 1) },
  { keys: 'V', does: 'Move tool', match: keyIs('v'), run: () => setTool('move') },
  { keys: 'L', does: 'Lasso cut-out', match: keyIs('l'), run: () => setTool('lasso') },
  { keys: 'W', does: 'Wand: clear a plain background', match: keyIs('w'), run: () => setTool('wand') },
  { keys: 'Enter', does: 'Close the lasso', match: (e) => e.key === 'Enter' && tool === 'lasso', run: () => stage.finishLasso() },
  { keys: 'Esc', does: 'Close · cancel the lasso · cancel generation · deselect', match: (e) => e.key === 'Escape', run: escape },
  { keys: '+ / −', does: 'Zoom in / out (also Ctrl+wheel)', match: (e) => ['+', '=', '-'].includes(e.key) && !e.ctrlKey && !e.metaKey, run: (e) => stage.zoomBy(e.key === '-' ? 1 / 1.25 : 1.25) },
  { keys: '0', does: 'Fit the canvas to the window', match: keyIs('0'), run: () => stage.zoomBy(undefined) },
  { keys: '?', does: 'Show these shortcuts', match: (e) => e.key === '?', run: () => showHelp() },
];
function escape(): void {
  if (gallery.isOpen) return gallery.close();
  if (byId('overlay').childElementCount > 0) return mount(byId('overlay'));
  if (tool !== 'move') return setTool('move');
  if (generation.busy) return void generation.cancel();
  store.select(undefined);
}
function showHelp(): void {
  const rows = shortcuts.filter((s) => s.keys !== 'Enter').map((s) => h('tr', {}, h('td', {}, h('kbd', {}, s.keys)), h('td', {}, s.does)));
  const box = h('div', { class: 'lightbox help', onclick: () => mount(byId('overlay')) }, h('div', { class: 'help-card' }, h('div', { class: 'panel-title' }, 'Keyboard shortcuts'), h('table', {}, ...rows)));
  mount(byId('overlay'), box);
}
installShortcuts(shortcuts);
byId('help').addEventListener('click', showHelp);
setTool('move');
