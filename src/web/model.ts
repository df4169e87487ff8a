// The editor's document: the collage document (shared/design/collage-format.md) plus what only the editor needs
// (decoded pixels, free-scale stretch), its geometry, and the conversion to and from the document JSON.
// The auto-value formulas are imported from collage/auto-defaults.ts directly, not collage/index.ts: that index
// pulls Node-only modules (sharp, fs) that cannot be bundled for the browser; auto-defaults.ts is pure arithmetic.
import { autoAttentionWeights, autoNoiseStrength, layerSizeRatio } from '../collage/auto-defaults.ts';

/** A layer's pixels: a canvas to draw and edit, and the PNG data URI sent to the server. */
export interface LayerImage {
  readonly canvas: HTMLCanvasElement;
  readonly url: string;
  readonly width: number;
  readonly height: number;
}

export interface EditorLayer {
  readonly id: string;
  readonly text: string;
  readonly visible: boolean;
  /** Top-left of the unrotated placed image, canvas px. */
  readonly x: number;
  readonly y: number;
  /** Uniform scale (the document's `scale`). */
  readonly scale: number;
  /** Free-scale factors, baked into the exported image (the document only has a uniform scale). */
  readonly stretchX: number;
  readonly stretchY: number;
  /** Degrees, clockwise, about the layer centre. */
  readonly rotation: number;
  /** Overrides; undefined = auto (method.md §4, §6). */
  readonly noise?: number;
  readonly positive?: number;
  readonly negative?: number;
  readonly invert: boolean;
  readonly image: LayerImage;
}

export interface EditorDoc {
  readonly width: number;
  readonly height: number;
  readonly background: string;
  readonly prompt: string;
  readonly negativePrompt: string;
  /** Bottom first. */
  readonly layers: readonly EditorLayer[];
  readonly seed?: number;
  readonly steps?: number;
}

/** Canvas side of a new collage when the selected model's native size is unknown (the preview generator), px. */
export const DEFAULT_CANVAS_PX = 512;
/** The collage format's canvas limits, px: sides are multiples of 8 in this range. */
export const CANVAS_MIN_PX = 64;
export const CANVAS_MAX_PX = 4096;

/** A new, empty collage of `sidePx` × `sidePx` (the selected model's native size, see model-menu.ts). */
export function emptyDoc(sidePx = DEFAULT_CANVAS_PX): EditorDoc {
  return { width: sidePx, height: sidePx, background: '#969696', prompt: '', negativePrompt: '', layers: [] };
}

export const EMPTY_DOC: EditorDoc = emptyDoc();

/**
 * The canvas size that fits a model trained at `nativeSizePx`²: the document's aspect kept, its longer side at the
 * native side, each side rounded to a multiple of 8 within the format's [64, 4096].
 */
export function nativeCanvasSize(doc: Pick<EditorDoc, 'width' | 'height'>, nativeSizePx: number): { width: number; height: number } {
  const scale = nativeSizePx / Math.max(doc.width, doc.height);
  const side = (v: number): number => Math.min(CANVAS_MAX_PX, Math.max(CANVAS_MIN_PX, Math.round((v * scale) / 8) * 8));
  return { width: side(doc.width), height: side(doc.height) };
}

/**
 * The document on a `width` × `height` canvas with every layer placed as before relative to the canvas: centres
 * scale per axis, layer sizes by the smaller of the two factors (a square canvas scales everything alike).
 */
export function resizeDoc(doc: EditorDoc, width: number, height: number): EditorDoc {
  const sx = width / doc.width;
  const sy = height / doc.height;
  const s = Math.min(sx, sy);
  const layers = doc.layers.map((layer) => {
    const centre = layerCentre(layer);
    const scaled = { ...layer, scale: layer.scale * s };
    const size = layerSize(scaled);
    return { ...scaled, x: centre.x * sx - size.width / 2, y: centre.y * sy - size.height / 2 };
  });
  return { ...doc, width, height, layers };
}

/** Placed size of a layer, canvas px. */
export function layerSize(layer: EditorLayer): { width: number; height: number } {
  return { width: layer.image.width * layer.stretchX * layer.scale, height: layer.image.height * layer.stretchY * layer.scale };
}

export function layerCentre(layer: EditorLayer): { x: number; y: number } {
  const { width, height } = layerSize(layer);
  return { x: layer.x + width / 2, y: layer.y + height / 2 };
}

/** A canvas point in the layer's unrotated frame, relative to its centre. */
export function toLayerFrame(layer: EditorLayer, px: number, py: number): { x: number; y: number } {
  const c = layerCentre(layer);
  const a = (-layer.rotation * Math.PI) / 180;
  const dx = px - c.x;
  const dy = py - c.y;
  return { x: dx * Math.cos(a) - dy * Math.sin(a), y: dx * Math.sin(a) + dy * Math.cos(a) };
}

/** A canvas point as a pixel of the layer's source image (may be outside it). */
export function toImagePixel(layer: EditorLayer, px: number, py: number): { x: number; y: number } {
  const local = toLayerFrame(layer, px, py);
  const { width, height } = layerSize(layer);
  return { x: ((local.x + width / 2) / width) * layer.image.width, y: ((local.y + height / 2) / height) * layer.image.height };
}

/** The top visible layer under a canvas point, by alpha > 10 of its pixels. */
export function layerAt(doc: EditorDoc, px: number, py: number): EditorLayer | undefined {
  for (let i = doc.layers.length - 1; i >= 0; i--) {
    const layer = doc.layers[i]!;
    if (!layer.visible) continue;
    const p = toImagePixel(layer, px, py);
    if (p.x < 0 || p.y < 0 || p.x >= layer.image.width || p.y >= layer.image.height) continue;
    const alpha = layer.image.canvas.getContext('2d')!.getImageData(Math.floor(p.x), Math.floor(p.y), 1, 1).data[3]!;
    if (alpha > 10) return layer;
  }
  return undefined;
}

/** Auto values as the server will resolve them (method.md §4 attention, §6 noise; top visible layer 0.4). */
export function autoValues(doc: EditorDoc, layer: EditorLayer): { ratio: number; noise: number; positive: number; negative: number } {
  const ratio = layerSizeRatio(layer.image.width * layer.stretchX, layer.image.height * layer.stretchY, layer.scale, doc.width, doc.height);
  const visible = doc.layers.filter((l) => l.visible);
  const weights = autoAttentionWeights(ratio);
  return { ratio, noise: autoNoiseStrength(ratio, visible[visible.length - 1]?.id === layer.id), ...weights };
}

/** A layer id from a file name: [A-Za-z0-9_-], unique in the document. */
export function uniqueLayerId(doc: EditorDoc, name: string): string {
  const base = name.replace(/\.[^.]+$/, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32) || 'layer';
  const used = new Set(doc.layers.map((l) => l.id));
  let id = base;
  for (let k = 2; used.has(id); k++) id = `${base}-${k}`;
  return id;
}

/** Decodes an image (data URI or blob) to a LayerImage; the URL is always PNG. */
export async function loadLayerImage(source: Blob | string): Promise<LayerImage> {
  const blob = typeof source === 'string' ? await (await fetch(source)).blob() : source;
  const bitmap = await createImageBitmap(blob);
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  bitmap.close();
  return imageFromCanvas(canvas);
}

export function imageFromCanvas(canvas: HTMLCanvasElement): LayerImage {
  return { canvas, url: canvas.toDataURL('image/png'), width: canvas.width, height: canvas.height };
}

const stretchedUrls = new WeakMap<LayerImage, Map<string, string>>();

/** The image as exported: the source resampled by the free-scale stretch (cached). */
function exportedImageUrl(layer: EditorLayer): { url: string; width: number } {
  const { image, stretchX, stretchY } = layer;
  if (Math.abs(stretchX - 1) < 1e-6 && Math.abs(stretchY - 1) < 1e-6) return { url: image.url, width: image.width };
  const width = Math.max(1, Math.round(image.width * stretchX));
  const height = Math.max(1, Math.round(image.height * stretchY));
  const key = `${width}x${height}`;
  const cache = stretchedUrls.get(image) ?? new Map<string, string>();
  stretchedUrls.set(image, cache);
  let url = cache.get(key);
  if (url === undefined) {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d')!;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(image.canvas, 0, 0, width, height);
    url = canvas.toDataURL('image/png');
    cache.set(key, url);
  }
  return { url, width };
}

const round = (v: number, digits = 3): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** The collage document JSON (images inline), as the server and `collage-diffusion` read it. */
export function toDocumentJson(doc: EditorDoc): Record<string, unknown> {
  const layers = doc.layers.map((layer) => {
    const exported = exportedImageUrl(layer);
    // Keep the placed width: the exported image is `stretchX` wider, so the uniform scale absorbs the rounding.
    const scale = (layer.image.width * layer.stretchX * layer.scale) / exported.width;
    const attention = { ...(layer.positive === undefined ? {} : { positive: round(layer.positive) }), ...(layer.negative === undefined ? {} : { negative: round(layer.negative) }) };
    return {
      id: layer.id,
      image: exported.url,
      text: layer.text,
      ...(layer.visible ? {} : { visible: false }),
      x: round(layer.x, 2),
      y: round(layer.y, 2),
      scale: round(scale, 5),
      rotation: round(layer.rotation, 2),
      ...(layer.noise === undefined ? {} : { noise: round(layer.noise) }),
      ...(Object.keys(attention).length === 0 ? {} : { attention }),
      invert: layer.invert,
    };
  });
  const generation = { ...(doc.seed === undefined ? {} : { seed: doc.seed }), ...(doc.steps === undefined ? {} : { steps: doc.steps }) };
  return {
    version: 1,
    width: doc.width,
    height: doc.height,
    background: doc.background,
    prompt: doc.prompt,
    ...(doc.negativePrompt.length === 0 ? {} : { negativePrompt: doc.negativePrompt }),
    layers,
    ...(Object.keys(generation).length === 0 ? {} : { generation }),
  };
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const opt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Opens a collage document JSON whose images are data URIs (what Save writes, what the server stores).
 * @throws Error naming the layer whose image is a file path (the browser cannot read the user's folders)
 */
export async function fromDocumentJson(json: unknown): Promise<EditorDoc> {
  if (!isObject(json) || !Array.isArray(json['layers'])) throw new Error('not a collage document: it has no "layers" list');
  const layers = await Promise.all(
    json['layers'].map(async (raw: unknown, i): Promise<EditorLayer> => {
      if (!isObject(raw) || typeof raw['image'] !== 'string') throw new Error(`layers[${i}] has no image`);
      if (!raw['image'].startsWith('data:')) throw new Error(`layers[${i}].image "${raw['image']}" is a file path: add that image by dropping it on the canvas`);
      const attention = isObject(raw['attention']) ? raw['attention'] : {};
      const layer: EditorLayer = {
        id: typeof raw['id'] === 'string' ? raw['id'] : `layer-${i + 1}`,
        text: typeof raw['text'] === 'string' ? raw['text'] : '',
        visible: raw['visible'] !== false,
        x: num(raw['x'], 0),
        y: num(raw['y'], 0),
        scale: num(raw['scale'], 1),
        stretchX: 1,
        stretchY: 1,
        rotation: num(raw['rotation'], 0),
        invert: raw['invert'] !== false,
        image: await loadLayerImage(raw['image']),
      };
      return withOptional(layer, { noise: opt(raw['noise']), positive: opt(attention['positive']), negative: opt(attention['negative']) });
    }),
  );
  const generation = isObject(json['generation']) ? json['generation'] : {};
  const doc: EditorDoc = {
    width: num(json['width'], 512),
    height: num(json['height'], 512),
    background: typeof json['background'] === 'string' ? json['background'] : '#969696',
    prompt: typeof json['prompt'] === 'string' ? json['prompt'] : '',
    negativePrompt: typeof json['negativePrompt'] === 'string' ? json['negativePrompt'] : '',
    layers,
  };
  return { ...doc, ...defined({ seed: opt(generation['seed']), steps: opt(generation['steps']) }) };
}

/** Sets the optional numeric controls of a layer, dropping the keys whose value is undefined (= auto). */
export function withOptional(layer: EditorLayer, values: { noise?: number | undefined; positive?: number | undefined; negative?: number | undefined }): EditorLayer {
  const { noise: _n, positive: _p, negative: _q, ...rest } = layer;
  const merged = { noise: layer.noise, positive: layer.positive, negative: layer.negative, ...values };
  return { ...rest, ...defined(merged) };
}

function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
