// Compositing (method.md §2): straight-alpha "over", bottom to top, onto an opaque background, and the visible
// masks m_i = α_i · Π_{j above i} (1 − α_j).
import type { RgbaImage } from '../io/index.ts';
import type { PlacedLayer } from './raster.ts';

/** An opaque canvas in [0, 1]. @property rgb [H*W*3] */
export interface Canvas {
  readonly width: number;
  readonly height: number;
  readonly rgb: Float32Array;
}

/** A canvas filled with one colour, given in 0..255. */
export function solidCanvas(width: number, height: number, rgb: readonly [number, number, number]): Canvas {
  const out = new Float32Array(width * height * 3);
  const [r, g, b] = [rgb[0] / 255, rgb[1] / 255, rgb[2] / 255];
  for (let i = 0; i < width * height; i++) {
    out[i * 3] = r;
    out[i * 3 + 1] = g;
    out[i * 3 + 2] = b;
  }
  return { width, height, rgb: out };
}

/**
 * Composites placed layers over a canvas, bottom first: C ← P + (1 − α)·C with P the premultiplied colour
 * (the same as straight-alpha "over" onto an opaque destination).
 * @returns a new opaque canvas; the input is not changed
 */
export function compositeOver(base: Canvas, layers: readonly PlacedLayer[]): Canvas {
  const rgb = new Float32Array(base.rgb);
  const n = base.width * base.height;
  for (const layer of layers) {
    const { color, alpha } = layer;
    for (let p = 0; p < n; p++) {
      const a = alpha[p]!;
      if (a === 0) continue;
      const keep = 1 - a;
      const o = p * 3;
      rgb[o] = color[o]! + keep * rgb[o]!;
      rgb[o + 1] = color[o + 1]! + keep * rgb[o + 1]!;
      rgb[o + 2] = color[o + 2]! + keep * rgb[o + 2]!;
    }
  }
  return { width: base.width, height: base.height, rgb };
}

/**
 * Visible masks, walking top down with the product of (1 − α) of the layers above.
 * @param layers bottom first, all at the same canvas size
 * @returns one [H*W] mask per layer, in the same order, values in [0, 1]
 */
export function visibleMasks(layers: readonly PlacedLayer[]): Float32Array[] {
  if (layers.length === 0) return [];
  const n = layers[0]!.width * layers[0]!.height;
  const remaining = new Float32Array(n).fill(1);
  const masks: Float32Array[] = new Array<Float32Array>(layers.length);
  for (let i = layers.length - 1; i >= 0; i--) {
    const alpha = layers[i]!.alpha;
    const mask = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      const a = alpha[p]!;
      mask[p] = a * remaining[p]!;
      remaining[p] = remaining[p]! * (1 - a);
    }
    masks[i] = mask;
  }
  return masks;
}

/** An image's colour as a canvas (alpha dropped): the inverse of `canvasToImage` for opaque images. */
export function imageToCanvas(image: RgbaImage): Canvas {
  const n = image.width * image.height;
  const rgb = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = image.data[p * 4 + c]! / 255;
  return { width: image.width, height: image.height, rgb };
}

/** The canvas as opaque 8-bit RGBA (rounded). */
export function canvasToImage(canvas: Canvas): RgbaImage {
  const n = canvas.width * canvas.height;
  const data = new Uint8Array(n * 4);
  for (let p = 0; p < n; p++) {
    data[p * 4] = Math.round(Math.min(1, Math.max(0, canvas.rgb[p * 3]!)) * 255);
    data[p * 4 + 1] = Math.round(Math.min(1, Math.max(0, canvas.rgb[p * 3 + 1]!)) * 255);
    data[p * 4 + 2] = Math.round(Math.min(1, Math.max(0, canvas.rgb[p * 3 + 2]!)) * 255);
    data[p * 4 + 3] = 255;
  }
  return { width: canvas.width, height: canvas.height, data };
}
