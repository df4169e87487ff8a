// The canvas of the editor: draws the collage as the server will composite it (hidden layers left out) and turns
// pointer gestures into document changes: move, uniform scale (corners), free scale (edges, or Shift+corner), both
// about the opposite side, rotate (the stalk above the layer, Shift snaps to 15°), and the lasso / wand cut-outs.
import { lassoCut, wandCut } from './cutout.ts';
import type { EditorStore } from './history.ts';
import { imageFromCanvas, layerAt, layerCentre, layerSize, toImagePixel, toLayerFrame, type EditorLayer } from './model.ts';

export const TOOLS = ['move', 'lasso', 'wand'] as const;
export type Tool = (typeof TOOLS)[number];

/** Screen px of a handle, and of the rotation stalk. */
const HANDLE_PX = 9;
const STALK_PX = 28;
const SELECTION_COLOUR = '#4f8cff';

type Handle = 'rotate' | 'nw' | 'ne' | 'sw' | 'se' | 'n' | 's' | 'e' | 'w';

export interface Drag {
  readonly kind: 'move' | Handle;
  readonly layer: EditorLayer;
  readonly start: { x: number; y: number };
  readonly pointerId: number;
}

export interface StageOptions {
  readonly tool: () => Tool;
  /** Wand tolerance, 0..255. */
  readonly tolerance: () => number;
  readonly onMessage: (text: string) => void;
}

export class Stage {
  readonly canvas: HTMLCanvasElement;
  readonly #host: HTMLElement;
  readonly #store: EditorStore;
  readonly #options: StageOptions;
  #zoom = 1;
  /** The user's zoom over "fit to window" (1 = fit). */
  #userZoom = 1;
  #drag: Drag | undefined;
  /** Lasso points in canvas px, while drawing. */
  #lasso: { x: number; y: number }[] = [];
  #cursor: { x: number; y: number } | undefined;

  constructor(host: HTMLElement, store: EditorStore, options: StageOptions) {
    this.#host = host;
    this.#store = store;
    this.#options = options;
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('data-testid', 'stage-canvas');
    this.canvas.className = 'stage-canvas';
    host.append(this.canvas);
    this.canvas.addEventListener('pointerdown', (e) => this.#down(e));
    this.canvas.addEventListener('pointermove', (e) => this.#move(e));
    this.canvas.addEventListener('pointerup', (e) => this.#up(e));
    this.canvas.addEventListener('pointercancel', (e) => this.#up(e));
    this.canvas.addEventListener('dblclick', () => this.finishLasso());
    host.addEventListener('wheel', (e) => {
      if (!e.ctrlKey && !e.metaKey) return; // plain wheel scrolls a zoomed canvas
      e.preventDefault();
      this.zoomBy(e.deltaY < 0 ? 1.1 : 1 / 1.1);
    }, { passive: false });
    new ResizeObserver(() => this.render()).observe(host);
    store.subscribe(() => this.render());
  }

  get zoom(): number {
    return this.#zoom;
  }

  /** Draws everything; called on every state change and resize. */
  render(): void {
    const doc = this.#store.doc;
    const padding = 48;
    const fit = Math.max(0.05, Math.min(2, (this.#host.clientWidth - padding) / doc.width, (this.#host.clientHeight - padding) / doc.height));
    this.#zoom = fit * this.#userZoom;
    const dpr = window.devicePixelRatio || 1;
    const cssWidth = Math.round(doc.width * this.#zoom);
    const cssHeight = Math.round(doc.height * this.#zoom);
    if (this.canvas.width !== Math.round(cssWidth * dpr) || this.canvas.height !== Math.round(cssHeight * dpr)) {
      this.canvas.width = Math.round(cssWidth * dpr);
      this.canvas.height = Math.round(cssHeight * dpr);
      this.canvas.style.width = `${cssWidth}px`;
      this.canvas.style.height = `${cssHeight}px`;
    }
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(this.#zoom * dpr, 0, 0, this.#zoom * dpr, 0, 0);
    ctx.fillStyle = doc.background;
    ctx.fillRect(0, 0, doc.width, doc.height);
    for (const layer of doc.layers) if (layer.visible) drawLayer(ctx, layer);
    const selected = doc.layers.find((l) => l.id === this.#store.state.selected);
    if (selected !== undefined) this.#drawSelection(ctx, selected);
    if (this.#lasso.length > 0) this.#drawLasso(ctx);
  }

  /** Zooms by a factor over "fit" (clamped to 1/8…16); `undefined` fits the canvas to the window again. */
  zoomBy(factor: number | undefined): void {
    this.#userZoom = factor === undefined ? 1 : Math.min(16, Math.max(0.125, this.#userZoom * factor));
    this.render();
  }

  /** Closes the lasso polygon and cuts the selected layer (≥ 3 points). */
  finishLasso(): void {
    const points = this.#lasso;
    this.#lasso = [];
    const layer = this.#selectedLayer();
    if (layer === undefined || points.length < 3) {
      this.render();
      return;
    }
    const polygon = points.map((p) => toImagePixel(layer, p.x, p.y));
    this.#replaceImage(layer, lassoCut(layer.image.canvas, polygon));
    this.#options.onMessage(`cut ${layer.id} to the lasso (${points.length} points)`);
  }

  cancelGesture(): void {
    this.#lasso = [];
    this.#drag = undefined;
    this.render();
  }

  #selectedLayer(): EditorLayer | undefined {
    return this.#store.doc.layers.find((l) => l.id === this.#store.state.selected);
  }

  #point(e: PointerEvent | MouseEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    return { x: (e.clientX - rect.left) / this.#zoom, y: (e.clientY - rect.top) / this.#zoom };
  }

  #down(e: PointerEvent): void {
    const p = this.#point(e);
    const doc = this.#store.doc;
    const tool = this.#options.tool();
    if (tool === 'lasso') {
      if (this.#selectedLayer() === undefined) this.#store.select(layerAt(doc, p.x, p.y)?.id);
      const first = this.#lasso[0];
      if (first !== undefined && this.#lasso.length >= 3 && Math.hypot(first.x - p.x, first.y - p.y) * this.#zoom < HANDLE_PX) this.finishLasso();
      else this.#lasso.push(p);
      this.render();
      return;
    }
    if (tool === 'wand') {
      const layer = this.#selectedLayer() ?? layerAt(doc, p.x, p.y);
      if (layer === undefined) return;
      this.#store.select(layer.id);
      const seed = toImagePixel(layer, p.x, p.y);
      const { canvas, cleared } = wandCut(layer.image.canvas, seed, this.#options.tolerance(), !e.altKey);
      if (cleared === 0) {
        this.#options.onMessage('nothing to clear there (click the background of the selected layer)');
        return;
      }
      this.#replaceImage(layer, canvas);
      this.#options.onMessage(`cleared ${cleared} px of ${layer.id}`);
      return;
    }
    const selected = this.#selectedLayer();
    const handle = selected === undefined ? undefined : this.#handleAt(selected, p);
    const target = handle !== undefined ? selected : layerAt(doc, p.x, p.y) ?? (selected !== undefined && this.#inside(selected, p) ? selected : undefined);
    this.#store.select(target?.id);
    if (target === undefined) return;
    this.canvas.setPointerCapture(e.pointerId);
    this.#drag = { kind: handle ?? 'move', layer: target, start: p, pointerId: e.pointerId };
  }

  #move(e: PointerEvent): void {
    const p = this.#point(e);
    this.#cursor = p;
    const drag = this.#drag;
    if (drag === undefined) {
      this.#updateCursor(p);
      if (this.#lasso.length > 0) this.render();
      return;
    }
    const next = dragLayer(drag, p, e.shiftKey);
    const doc = this.#store.doc;
    this.#store.preview({ ...doc, layers: doc.layers.map((l) => (l.id === next.id ? next : l)) });
  }

  #up(e: PointerEvent): void {
    if (this.#drag === undefined || this.#drag.pointerId !== e.pointerId) return;
    this.#drag = undefined;
    this.#store.commit();
  }

  #replaceImage(layer: EditorLayer, canvas: HTMLCanvasElement): void {
    const doc = this.#store.doc;
    const image = imageFromCanvas(canvas);
    this.#store.commit({ ...doc, layers: doc.layers.map((l) => (l.id === layer.id ? { ...l, image } : l)) });
  }

  #inside(layer: EditorLayer, p: { x: number; y: number }): boolean {
    const local = toLayerFrame(layer, p.x, p.y);
    const { width, height } = layerSize(layer);
    return Math.abs(local.x) <= width / 2 && Math.abs(local.y) <= height / 2;
  }

  #handleAt(layer: EditorLayer, p: { x: number; y: number }): Handle | undefined {
    const local = toLayerFrame(layer, p.x, p.y);
    const reach = HANDLE_PX / this.#zoom;
    for (const [handle, at] of handlePositions(layer, this.#zoom)) {
      if (Math.abs(local.x - at.x) <= reach && Math.abs(local.y - at.y) <= reach) return handle;
    }
    return undefined;
  }

  #updateCursor(p: { x: number; y: number }): void {
    const tool = this.#options.tool();
    if (tool !== 'move') {
      this.canvas.style.cursor = 'crosshair';
      return;
    }
    const selected = this.#selectedLayer();
    const handle = selected === undefined ? undefined : this.#handleAt(selected, p);
    const cursors: Record<Handle, string> = { rotate: 'grab', nw: 'nwse-resize', se: 'nwse-resize', ne: 'nesw-resize', sw: 'nesw-resize', n: 'ns-resize', s: 'ns-resize', e: 'ew-resize', w: 'ew-resize' };
    this.canvas.style.cursor = handle !== undefined ? cursors[handle] : layerAt(this.#store.doc, p.x, p.y) !== undefined ? 'move' : 'default';
  }

  #drawSelection(ctx: CanvasRenderingContext2D, layer: EditorLayer): void {
    const { width, height } = layerSize(layer);
    const c = layerCentre(layer);
    const px = 1 / this.#zoom;
    ctx.save();
    ctx.translate(c.x, c.y);
    ctx.rotate((layer.rotation * Math.PI) / 180);
    ctx.strokeStyle = SELECTION_COLOUR;
    ctx.lineWidth = 1.5 * px;
    if (!layer.visible) ctx.setLineDash([6 * px, 4 * px]);
    ctx.strokeRect(-width / 2, -height / 2, width, height);
    ctx.setLineDash([]);
    if (this.#options.tool() === 'move') {
      ctx.beginPath();
      ctx.moveTo(0, -height / 2);
      ctx.lineTo(0, -height / 2 - STALK_PX * px);
      ctx.stroke();
      for (const [handle, at] of handlePositions(layer, this.#zoom)) {
        ctx.fillStyle = '#ffffff';
        ctx.beginPath();
        if (handle === 'rotate') ctx.arc(at.x, at.y, (HANDLE_PX / 2 + 1) * px, 0, Math.PI * 2);
        else ctx.rect(at.x - (HANDLE_PX / 2) * px, at.y - (HANDLE_PX / 2) * px, HANDLE_PX * px, HANDLE_PX * px);
        ctx.fill();
        ctx.stroke();
      }
    }
    ctx.restore();
  }

  #drawLasso(ctx: CanvasRenderingContext2D): void {
    const px = 1 / this.#zoom;
    ctx.save();
    ctx.strokeStyle = '#ffd84f';
    ctx.fillStyle = 'rgba(255, 216, 79, 0.15)';
    ctx.lineWidth = 1.5 * px;
    ctx.setLineDash([5 * px, 3 * px]);
    ctx.beginPath();
    this.#lasso.forEach((p, i) => (i === 0 ? ctx.moveTo(p.x, p.y) : ctx.lineTo(p.x, p.y)));
    if (this.#cursor !== undefined) ctx.lineTo(this.#cursor.x, this.#cursor.y);
    ctx.fill();
    ctx.stroke();
    ctx.setLineDash([]);
    for (const p of this.#lasso) ctx.fillRect(p.x - 2 * px, p.y - 2 * px, 4 * px, 4 * px);
    ctx.restore();
  }
}

function drawLayer(ctx: CanvasRenderingContext2D, layer: EditorLayer): void {
  const { width, height } = layerSize(layer);
  const c = layerCentre(layer);
  ctx.save();
  ctx.translate(c.x, c.y);
  ctx.rotate((layer.rotation * Math.PI) / 180);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(layer.image.canvas, -width / 2, -height / 2, width, height);
  ctx.restore();
}

/** Handle centres in the layer's frame (relative to its centre, unrotated). */
function handlePositions(layer: EditorLayer, zoom: number): [Handle, { x: number; y: number }][] {
  const { width, height } = layerSize(layer);
  const [w, hh] = [width / 2, height / 2];
  return [
    ['rotate', { x: 0, y: -hh - STALK_PX / zoom }],
    ['nw', { x: -w, y: -hh }], ['ne', { x: w, y: -hh }], ['sw', { x: -w, y: hh }], ['se', { x: w, y: hh }],
    ['n', { x: 0, y: -hh }], ['s', { x: 0, y: hh }], ['w', { x: -w, y: 0 }], ['e', { x: w, y: 0 }],
  ];
}

/** Smallest placed side, canvas px, and the document's scale limit. */
const MIN_SIDE_PX = 4;
const MAX_SCALE = 64;

/** The dragged layer: moved, scaled about the opposite edge or corner, or rotated about its centre. */
export function dragLayer(drag: Drag, p: { x: number; y: number }, shift: boolean): EditorLayer {
  const start = drag.layer;
  if (drag.kind === 'move') {
    let dx = p.x - drag.start.x;
    let dy = p.y - drag.start.y;
    if (shift && Math.abs(dx) > Math.abs(dy)) dy = 0;
    else if (shift) dx = 0;
    return { ...start, x: Math.round(start.x + dx), y: Math.round(start.y + dy) };
  }
  const c = layerCentre(start);
  if (drag.kind === 'rotate') {
    const angle = (q: { x: number; y: number }): number => (Math.atan2(q.y - c.y, q.x - c.x) * 180) / Math.PI;
    let rotation = start.rotation + angle(p) - angle(drag.start);
    rotation = ((((shift ? Math.round(rotation / 15) * 15 : Math.round(rotation * 10) / 10) + 180) % 360) + 360) % 360 - 180;
    return { ...start, rotation };
  }
  // Scale about the opposite edge or corner (it stays put, as in design tools), in the layer's rotated frame.
  const sx = drag.kind.includes('e') ? 1 : drag.kind.includes('w') ? -1 : 0;
  const sy = drag.kind.includes('s') ? 1 : drag.kind.includes('n') ? -1 : 0;
  const size = layerSize(start);
  const anchor = { x: (-sx * size.width) / 2, y: (-sy * size.height) / 2 };
  const a = toLayerFrame(start, drag.start.x, drag.start.y);
  const b = toLayerFrame(start, p.x, p.y);
  const ratio = (to: number, from: number): number => Math.max(1e-3, Math.abs(to) / Math.max(1e-3, Math.abs(from)));
  let { scale, stretchX, stretchY } = start;
  const corner = sx !== 0 && sy !== 0;
  if (corner && !shift) scale = start.scale * ratio(Math.hypot(b.x - anchor.x, b.y - anchor.y), Math.hypot(a.x - anchor.x, a.y - anchor.y));
  else {
    if (sx !== 0) stretchX = start.stretchX * ratio(b.x - anchor.x, a.x - anchor.x);
    if (sy !== 0) stretchY = start.stretchY * ratio(b.y - anchor.y, a.y - anchor.y);
  }
  scale = Math.min(MAX_SCALE, scale);
  scale *= Math.max(MIN_SIDE_PX / (start.image.width * stretchX * scale), MIN_SIDE_PX / (start.image.height * stretchY * scale), 1);
  const next = { ...start, scale, stretchX, stretchY };
  const grown = layerSize(next);
  // The new centre in the rotated frame, then on the canvas.
  const local = { x: anchor.x + (sx * grown.width) / 2, y: anchor.y + (sy * grown.height) / 2 };
  const angle = (start.rotation * Math.PI) / 180;
  const cx = c.x + local.x * Math.cos(angle) - local.y * Math.sin(angle);
  const cy = c.y + local.x * Math.sin(angle) + local.y * Math.cos(angle);
  return { ...next, x: cx - grown.width / 2, y: cy - grown.height / 2 };
}

