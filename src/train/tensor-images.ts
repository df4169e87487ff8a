// Conversions between the world's HWC [0, 1] images and the models' NCHW [-1, 1] tensors, and seeded Gaussian noise.
import type { RgbImage, Rng } from '../world/index.ts';

/**
 * Stacks images into one NCHW tensor.
 * @param images B images of one size, HWC in [0, 1] @returns [B, 3, H, W] in [-1, 1]
 */
export function imagesToChw(images: readonly RgbImage[]): Float32Array {
  const first = images[0];
  if (!first) return new Float32Array(0);
  const plane = first.width * first.height;
  const out = new Float32Array(images.length * 3 * plane);
  images.forEach((image, b) => {
    const base = b * 3 * plane;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) out[base + c * plane + p] = image.data[p * 3 + c]! * 2 - 1;
    }
  });
  return out;
}

/**
 * Image b of an NCHW batch as an HWC image, mapped from [-1, 1] to [0, 1] (not clamped).
 * @param data [B, 3, size, size]
 */
export function imageFromChw(data: Float32Array, b: number, sizePx: number): RgbImage {
  const plane = sizePx * sizePx;
  const out = new Float32Array(plane * 3);
  const base = b * 3 * plane;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) out[p * 3 + c] = (data[base + c * plane + p]! + 1) / 2;
  }
  return { width: sizePx, height: sizePx, data: out };
}

/** n standard normal values from `rng` (Box-Muller, pairs). */
export function gaussian(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const theta = 2 * Math.PI * rng.next();
    out[i] = r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}
