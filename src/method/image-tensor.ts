// The one conversion between the io/ edge's HWC RGBA images and the models' NCHW tensors in [-1, 1].
import type { RgbaImage } from '../collage/index.ts';
import { float32, type Tensor } from '../tensor.ts';

/** RGBA 8-bit (alpha ignored: composites are opaque) → [1, 3, H, W] in [-1, 1]. */
export function imageToTensor(image: RgbaImage): Tensor<'float32'> {
  const { width, height, data } = image;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) out[c * plane + p] = (data[p * 4 + c]! / 255) * 2 - 1;
  }
  return float32([1, 3, height, width], out);
}

/** [B, 3, H, W] in about [-1, 1] → one opaque RGBA image per batch item, (x/2 + 0.5) clamped, rounded. */
export function tensorToImages(tensor: Tensor<'float32'>): RgbaImage[] {
  const [batch = 1, , height = 0, width = 0] = tensor.shape;
  const plane = width * height;
  const images: RgbaImage[] = [];
  for (let b = 0; b < batch; b++) {
    const data = new Uint8Array(plane * 4);
    const base = b * 3 * plane;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) {
        const v = tensor.data[base + c * plane + p]! / 2 + 0.5;
        data[p * 4 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
      data[p * 4 + 3] = 255;
    }
    images.push({ width, height, data });
  }
  return images;
}
