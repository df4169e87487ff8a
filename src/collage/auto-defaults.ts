// Automatic per-layer controls from the layer's size (method.md §4 attention weights, §6 noise strength).

/**
 * Relative layer size r = clamp(max(w, h)·scale / canvas, 0, 1), canvas = the longer canvas side.
 * @param imageWidth source px @param imageHeight source px
 */
export function layerSizeRatio(imageWidth: number, imageHeight: number, scale: number, canvasWidth: number, canvasHeight: number): number {
  const r = (Math.max(imageWidth, imageHeight) * scale) / Math.max(canvasWidth, canvasHeight);
  return Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 1;
}

/** w⁺ = 0.2 + 0.4(1 − r), w⁻ = 0.9 − 0.5r (method.md §4): small layers get a stronger pull. */
export function autoAttentionWeights(r: number): { positive: number; negative: number } {
  return { positive: 0.2 + 0.4 * (1 - r), negative: 0.9 - 0.5 * r };
}

/** Noise strength: the top layer 0.4, the others 0.5 + 0.2r (method.md §6). */
export function autoNoiseStrength(r: number, isTopLayer: boolean): number {
  return isTopLayer ? 0.4 : 0.5 + 0.2 * r;
}
