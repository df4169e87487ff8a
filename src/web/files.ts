// Files in and out of the editor: PNG/JPEG/WebP become layers; a saved collage document opens as is; PSD, ORA and
// the official demo's JSON go through the server's importer; Save writes the document with its images inline.
import { ApiFailure, api } from './api.ts';
import { toast } from './dom.ts';
import { reportFailure } from './generate.ts';
import type { EditorStore } from './history.ts';
import { addPlaceholder } from './layers-panel.ts';
import { fromDocumentJson, loadLayerImage, toDocumentJson, uniqueLayerId, type EditorDoc, type EditorLayer } from './model.ts';

const IMAGE_TYPES = /\.(png|jpe?g|webp)$/i;
const LAYERED_TYPES = /\.(psd|ora|json)$/i;
/** A new layer's longer side, as a fraction of the canvas's shorter side. */
const NEW_LAYER_FRACTION = 0.55;

/** Adds, opens or imports dropped or chosen files. */
export async function handleFiles(store: EditorStore, files: readonly File[]): Promise<void> {
  const images = files.filter((f) => IMAGE_TYPES.test(f.name) || f.type.startsWith('image/'));
  const layered = files.filter((f) => !images.includes(f) && LAYERED_TYPES.test(f.name));
  const other = files.filter((f) => !images.includes(f) && !layered.includes(f));
  if (other.length > 0) toast(`cannot open ${other.map((f) => f.name).join(', ')}`, { kind: 'error', problems: [{ what: 'not an image or a layered file', fix: 'drop PNG/JPEG/WebP images, a .collage.json, a PSD, an ORA or a demo JSON' }] });
  if (images.length > 0) await addImageLayers(store, images);
  for (const file of layered) await openLayeredFile(store, file);
}

async function addImageLayers(store: EditorStore, files: readonly File[]): Promise<void> {
  let doc = store.doc;
  let last: string | undefined;
  for (const file of files) {
    let image;
    try {
      image = await loadLayerImage(file);
    } catch {
      toast(`cannot read ${file.name}`, { kind: 'error', problems: [{ what: 'the browser could not decode it', fix: 'export it again as PNG' }] });
      continue;
    }
    const id = uniqueLayerId(doc, file.name);
    const scale = Math.min(1, (NEW_LAYER_FRACTION * Math.min(doc.width, doc.height)) / Math.max(image.width, image.height));
    // Centred, then cascaded up-left by 48 px and down-right by 24 px per layer at 512², in proportion on other
    // canvases, so a layer dropped on the embedded model's 128² canvas stays on it.
    const unit = Math.min(doc.width, doc.height) / 512;
    const offset = (-48 + (doc.layers.length % 5) * 24) * unit;
    const layer: EditorLayer = {
      id,
      text: file.name.replace(/\.[^.]+$/, '').replace(/[-_]+/g, ' ').trim(),
      visible: true,
      x: Math.round((doc.width - image.width * scale) / 2 + offset),
      y: Math.round((doc.height - image.height * scale) / 2 + offset),
      scale,
      stretchX: 1,
      stretchY: 1,
      rotation: 0,
      invert: true,
      image,
    };
    doc = { ...doc, layers: [...doc.layers, layer], prompt: addPlaceholder(doc.prompt, id) };
    last = id;
  }
  if (last === undefined) return;
  store.commit(doc);
  store.select(last);
  toast(`added ${files.length === 1 ? `layer ${last}` : `${files.length} layers`}: write what ${files.length === 1 ? 'it shows' : 'they show'} in Text`);
}

async function openLayeredFile(store: EditorStore, file: File): Promise<void> {
  try {
    let json: unknown;
    if (/\.json$/i.test(file.name)) {
      json = JSON.parse(await file.text());
      if (!isCollageDocument(json)) json = (await api.importFile(file.name, await base64(file))).document;
    } else {
      json = (await api.importFile(file.name, await base64(file))).document;
    }
    openDocument(store, await fromDocumentJson(json));
    toast(`opened ${file.name}`);
  } catch (e) {
    if (e instanceof ApiFailure) reportFailure(e);
    else toast(`cannot open ${file.name}`, { kind: 'error', problems: [{ what: e instanceof Error ? e.message : String(e) }] });
  }
}

export function openDocument(store: EditorStore, doc: EditorDoc): void {
  store.reset(doc);
}

/** A collage document (our format) rather than a demo state: it has a prompt and layers with `image`. */
function isCollageDocument(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const record = json as Record<string, unknown>;
  return typeof record['prompt'] === 'string' && Array.isArray(record['layers']) && (record['layers'] as unknown[]).every((l) => typeof l === 'object' && l !== null && 'image' in l);
}

async function base64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Downloads the document (images inline) as `<name>.collage.json`. */
export function saveDocument(store: EditorStore, name = 'collage'): void {
  const blob = new Blob([JSON.stringify(toDocumentJson(store.doc), null, 1)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${name}.collage.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  toast(`saved ${a.download}`);
}
