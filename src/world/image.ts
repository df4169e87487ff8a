// Float images of the Shapes World: HWC, values in [0, 1], the renderer's output and the metrics' input.
// RGBA layers use io/'s RgbaFloatImage. Conversion to 8-bit happens here, once; PNG encoding is io/'s.
import { BugError } from '../errors.ts';
import type { RgbaFloatImage, RgbaImage as Rgba8Image } from '../io/index.ts';

/** RGB image, HWC: data[(y * width + x) * 3 + c], c = 0 red, 1 green, 2 blue, values in [0, 1]. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export function rgbImage(width: number, height: number): RgbImage {
  return { width, height, data: new Float32Array(width * height * 3) };
}

/**
 * 8-bit bytes of a float image, rounding to nearest after clamping to [0, 1].
 * @param image [H, W, C] floats
 * @returns [H, W, C] bytes, same channel count
 */
export function toBytes(image: RgbImage | RgbaFloatImage): Uint8Array {
  const src = image.data;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    out[i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
  }
  return out;
}

/**
 * 8-bit RGBA of a float RGB or RGBA image (RGB gets opaque alpha), rounding as `toBytes`: what io/ encodes as PNG.
 * @param image [H, W, 3 | 4] floats in [0, 1]
 * @returns [H, W, 4] bytes
 */
export function toRgbaBytes(image: RgbImage | RgbaFloatImage): Rgba8Image {
  const n = image.width * image.height;
  const channels = image.data.length / n;
  if (channels !== 3 && channels !== 4) throw new BugError(`image has ${channels} channels, expected 3 or 4`);
  const bytes = toBytes(image);
  if (channels === 4) return { width: image.width, height: image.height, data: bytes };
  const data = new Uint8Array(n * 4);
  for (let p = 0; p < n; p++) {
    data[p * 4] = bytes[p * 3]!;
    data[p * 4 + 1] = bytes[p * 3 + 1]!;
    data[p * 4 + 2] = bytes[p * 3 + 2]!;
    data[p * 4 + 3] = 255;
  }
  return { width: image.width, height: image.height, data };
}

/** Float image from 8-bit bytes ([H, W, channels]); channels 3 or 4, keeps the count. */
export function fromBytes(width: number, height: number, bytes: Uint8Array): RgbImage {
  const data = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) data[i] = bytes[i]! / 255;
  return { width, height, data };
}
