// Mask pyramid (method.md §2): each visible mask area-averaged to every attention resolution of the UNet
// (latent size /1, /2, /4, /8 for SD) and the latent-size loss mask of textual inversion (§5).

/** A map size in pixels. */
export interface Resolution {
  readonly height: number;
  readonly width: number;
}

/**
 * Area-average resize: each output pixel is the mean of the input over its footprint, with fractional overlap
 * at the edges, so any ratio (not only integers) keeps the mask's total mass (mean is preserved exactly).
 * @param src [h*w] @returns [outH*outW]
 */
export function resizeArea(src: Float32Array, w: number, h: number, outW: number, outH: number): Float32Array {
  const colWeights = footprintWeights(w, outW);
  const rowWeights = footprintWeights(h, outH);
  const tmp = new Float32Array(h * outW);
  for (let y = 0; y < h; y++) {
    for (const { out, from, weights } of colWeights) {
      let acc = 0;
      for (let i = 0; i < weights.length; i++) acc += weights[i]! * src[y * w + from + i]!;
      tmp[y * outW + out] = acc;
    }
  }
  const dst = new Float32Array(outH * outW);
  for (const { out, from, weights } of rowWeights) {
    for (let x = 0; x < outW; x++) {
      let acc = 0;
      for (let i = 0; i < weights.length; i++) acc += weights[i]! * tmp[(from + i) * outW + x]!;
      dst[out * outW + x] = acc;
    }
  }
  return dst;
}

interface Footprint {
  readonly out: number;
  readonly from: number;
  readonly weights: Float64Array;
}

/** For each output index, the input indices it covers and their overlap weights (summing to 1). */
function footprintWeights(inSize: number, outSize: number): Footprint[] {
  const ratio = inSize / outSize;
  const result: Footprint[] = [];
  for (let o = 0; o < outSize; o++) {
    const start = o * ratio;
    const end = Math.min(inSize, (o + 1) * ratio);
    const from = Math.floor(start);
    const to = Math.min(inSize, Math.ceil(end));
    const weights = new Float64Array(Math.max(1, to - from));
    for (let i = from; i < to; i++) weights[i - from] = (Math.min(end, i + 1) - Math.max(start, i)) / ratio;
    result.push({ out: o, from, weights });
  }
  return result;
}

/**
 * Attention resolutions of a latent: factor f gives the size after log2(f) stride-2 convolutions
 * (each halving rounds up, as the UNet's padded convs do).
 * @param factors powers of two, e.g. [1, 2, 4, 8]
 */
export function attentionResolutions(latent: Resolution, factors: readonly number[]): Resolution[] {
  return factors.map((f) => {
    let { height, width } = latent;
    for (let k = f; k > 1; k /= 2) {
      height = Math.ceil(height / 2);
      width = Math.ceil(width / 2);
    }
    return { height, width };
  });
}

/**
 * One mask at every resolution.
 * @param mask [H*W] @returns one [r.height*r.width] map per resolution, in order
 */
export function maskPyramid(mask: Float32Array, width: number, height: number, resolutions: readonly Resolution[]): Float32Array[] {
  return resolutions.map((r) => resizeArea(mask, width, height, r.width, r.height));
}
