// Per-layer noise control maps (method.md §6): the noise-strength map (soft paste from s_max, Gaussian blur,
// nearest resize to latent size) and the per-step keep-mask with its dilation.
import { float32, type Tensor } from '../tensor.ts';
import { BugError } from '../errors.ts';

/** Blur of the strength map: Gaussian σ = 10 px at 512², scaled with sqrt(W·H)/512. */
export const STRENGTH_BLUR_PX_AT_512 = 10;

/**
 * Soft-pastes each layer's strength over s_max, bottom to top: s ← s_i·m_i + s·(1 − m_i).
 * @param masks one [H*W] visible mask per layer, bottom first @param strengths s_i per layer
 * @returns [H*W] strength before blurring
 */
export function pasteStrengths(masks: readonly Float32Array[], strengths: readonly number[], width: number, height: number, sMax: number): Float32Array {
  const out = new Float32Array(width * height).fill(sMax);
  masks.forEach((mask, i) => {
    const s = strengths[i]!;
    for (let p = 0; p < out.length; p++) {
      const m = mask[p]!;
      if (m !== 0) out[p] = s * m + out[p]! * (1 - m);
    }
  });
  return out;
}

/** Separable Gaussian blur, kernel radius ceil(3σ), edges clamped. @param src [H*W] @returns [H*W] */
export function gaussianBlur(src: Float32Array, width: number, height: number, sigmaPx: number): Float32Array {
  if (!(sigmaPx > 0)) return new Float32Array(src);
  const radius = Math.ceil(3 * sigmaPx);
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigmaPx * sigmaPx));
  for (let i = 0; i < kernel.length; i++) kernel[i] = kernel[i]! / sum;
  const tmp = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const sx = Math.min(width - 1, Math.max(0, x + k));
        acc += kernel[k + radius]! * src[row + sx]!;
      }
      tmp[row + x] = acc;
    }
  }
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const sy = Math.min(height - 1, Math.max(0, y + k));
        acc += kernel[k + radius]! * tmp[sy * width + x]!;
      }
      out[y * width + x] = acc;
    }
  }
  return out;
}

/** Nearest resize as torch's `interpolate(mode='nearest')`: source index floor(i · in/out). @returns [outH*outW] */
export function resizeNearest(src: Float32Array, w: number, h: number, outW: number, outH: number): Float32Array {
  const out = new Float32Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(h - 1, Math.floor((y * h) / outH));
    for (let x = 0; x < outW; x++) out[y * outW + x] = src[sy * w + Math.min(w - 1, Math.floor((x * w) / outW))]!;
  }
  return out;
}

/**
 * The noise-strength map of method.md §6 at image and latent size.
 * @param masks one [H*W] visible mask per layer, bottom first
 * @param emptyStrength the strength everywhere when there are no layers
 * @param base the strength outside every layer @default s_max (method.md §6); 0 keeps the rest (re-generation, §7)
 * @returns image [H*W] (blurred) and latent [hLat*wLat] (nearest) strengths in [0, 1]
 */
export function noiseStrengthMap(
  masks: readonly Float32Array[],
  strengths: readonly number[],
  width: number,
  height: number,
  latent: { readonly width: number; readonly height: number },
  emptyStrength = 1,
  base?: number,
): { image: Float32Array; latent: Float32Array; sMax: number } {
  if (masks.length !== strengths.length) throw new BugError(`${masks.length} masks but ${strengths.length} strengths`);
  // With no layers the whole canvas is re-imagined at emptyStrength (plain text-to-image / img2img).
  const sMax = strengths.length === 0 ? emptyStrength : strengths.reduce((a, b) => Math.max(a, b), 0);
  const pasted = pasteStrengths(masks, strengths, width, height, base ?? sMax);
  const sigma = (STRENGTH_BLUR_PX_AT_512 * Math.sqrt(width * height)) / 512;
  const image = gaussianBlur(pasted, width, height, sigma);
  return { image, latent: resizeNearest(image, width, height, latent.width, latent.height), sMax };
}

/**
 * Latent pixels still held to the noised collage at timestep t (method.md §6): keep = [s(p) < t/1000], dilated by
 * d = int(4·t/1000) latent px (max-pool 2d+1).
 * @param strength [hLat, wLat] per-pixel noise strength in [0, 1]
 * @param t training timestep in [0, 1000)
 * @returns [hLat, wLat] 1 = held, 0 = denoised freely
 */
export function heldMask(strength: Tensor<'float32'>, t: number): Tensor<'float32'> {
  const [h, w] = strength.shape;
  if (strength.shape.length !== 2 || h === undefined || w === undefined) {
    throw new BugError(`heldMask wants [hLat, wLat], got [${strength.shape.join(', ')}]`);
  }
  const threshold = t / 1000;
  const keep = new Float32Array(h * w);
  for (let p = 0; p < keep.length; p++) keep[p] = strength.data[p]! < threshold ? 1 : 0;
  const d = Math.trunc((4 * t) / 1000);
  return float32([h, w], d > 0 ? maxPool(keep, w, h, d) : keep);
}

/** Max over the (2d+1)² window, windows clipped at the edges (max-pool with -inf padding). */
function maxPool(src: Float32Array, w: number, h: number, d: number): Float32Array {
  const tmp = new Float32Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let m = 0;
      for (let k = Math.max(0, x - d); k <= Math.min(w - 1, x + d); k++) m = Math.max(m, src[y * w + k]!);
      tmp[y * w + x] = m;
    }
  }
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let m = 0;
      for (let k = Math.max(0, y - d); k <= Math.min(h - 1, y + d); k++) m = Math.max(m, tmp[k * w + x]!);
      out[y * w + x] = m;
    }
  }
  return out;
}
