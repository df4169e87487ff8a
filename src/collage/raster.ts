// Raster types of the collage layer: premultiplied float layers on the canvas (what placement produces and
// compositing consumes), made from io/'s straight-alpha RgbaImage.
import type { RgbaImage } from '../io/index.ts';

/**
 * A layer resampled onto the canvas: premultiplied colour in [0, 1] and coverage alpha in [0, 1].
 * @property color [H*W*3] premultiplied RGB
 * @property alpha [H*W]
 */
export interface PlacedLayer {
  readonly width: number;
  readonly height: number;
  readonly color: Float32Array;
  readonly alpha: Float32Array;
}

/** Premultiplied RGBA in [0, 1]. @returns [h*w*4] */
export function premultiply(image: RgbaImage): Float32Array {
  const { data } = image;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i += 4) {
    const a = data[i + 3]! / 255;
    out[i] = (data[i]! / 255) * a;
    out[i + 1] = (data[i + 1]! / 255) * a;
    out[i + 2] = (data[i + 2]! / 255) * a;
    out[i + 3] = a;
  }
  return out;
}

/** A single-channel map in [0, 1] as an opaque grey RGBA image (for mask PNGs). @param values [height*width] */
export function greyImage(values: Float32Array, width: number, height: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const v = Math.round(Math.min(1, Math.max(0, values[i]!)) * 255);
    data[i * 4] = v;
    data[i * 4 + 1] = v;
    data[i * 4 + 2] = v;
    data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}
