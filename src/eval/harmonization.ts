// Harmonization (world.md "Metrics", method.md §9): is the output one coherent image, lit as the scene is, with
// the scene's shadows?
import type { RgbImage } from '../world/index.ts';
import { gainDeviation, leastSquaresGain } from './colour-gain.ts';
import { erode, type CaseMasks } from './masks.ts';

/** Side of the low-resolution grid the colour distances are measured on (blocks of size/16 px). */
export const HARMONIZATION_GRID = 16;
/** A ground-truth pixel outside the objects is shadow when some channel is darker than the background by this. */
export const SHADOW_THRESHOLD = 0.02;
/** A block counts when at least this fraction of its pixels is in the region. */
const MIN_BLOCK_FILL = 0.25;

export interface Harmonization {
  /** Low-resolution colour distance to the ground truth outside the objects (shadows included), ≥ 0. */
  readonly backgroundError: number;
  /** The same distance on the ground truth's shadow pixels only, ≥ 0 (0 when no shadow is visible). */
  readonly shadowError: number;
  /** Mean over objects of mean_c |ln g_c|, g the colour gain that relights the output's object like the scene; 0 = lit like the scene. */
  readonly lightGainDeviation: number;
  /** Per object, painting order: the gain (g_r, g_g, g_b); 1.0 = lit like the scene. */
  readonly gains: readonly (readonly [number, number, number])[];
}

/**
 * Mean over blocks of ‖mean_block(out) − mean_block(ref)‖₂, block means over the region's pixels only, blocks of
 * side ⌈W / 16⌉ with at least 25% of their pixels in the region; 0 when no block qualifies.
 * @param region [H, W] 1 = counted
 */
export function lowResolutionDistance(output: RgbImage, reference: RgbImage, region: Uint8Array): number {
  const { width, height } = output;
  const block = Math.max(1, Math.ceil(width / HARMONIZATION_GRID));
  let total = 0;
  let blocks = 0;
  for (let by = 0; by < height; by += block) {
    for (let bx = 0; bx < width; bx += block) {
      const sum = [0, 0, 0, 0, 0, 0];
      let n = 0;
      let size = 0;
      for (let y = by; y < Math.min(height, by + block); y++) {
        for (let x = bx; x < Math.min(width, bx + block); x++) {
          size++;
          const k = y * width + x;
          if (!region[k]) continue;
          n++;
          for (let c = 0; c < 3; c++) {
            sum[c]! += output.data[k * 3 + c]!;
            sum[3 + c]! += reference.data[k * 3 + c]!;
          }
        }
      }
      if (n < MIN_BLOCK_FILL * size) continue;
      total += Math.hypot((sum[0]! - sum[3]!) / n, (sum[1]! - sum[4]!) / n, (sum[2]! - sum[5]!) / n);
      blocks++;
    }
  }
  return blocks === 0 ? 0 : total / blocks;
}

/**
 * Harmonization of an output against a case.
 *
 * outside = {union of object masks < 0.01}; shadow = outside ∩ {max_c (background − ground truth) > 0.02}
 * backgroundError = lowResolutionDistance(output, ground truth, outside)
 * shadowError = lowResolutionDistance(output, ground truth, shadow)
 * lightGainDeviation = mean_i mean_c |ln g_ic|, g_i = leastSquaresGain(output → ground truth) over object i's
 *   visible pixels eroded by one (the gain that would relight the output's object as the scene lights it)
 *
 * @param output [H, W, 3]
 * @param groundTruth [H, W, 3] render(S)
 * @param background [H, W, 3] S's empty background
 */
export function harmonization(
  output: RgbImage,
  groundTruth: RgbImage,
  background: RgbImage,
  masks: CaseMasks,
): Harmonization {
  const n = output.width * output.height;
  const outside = new Uint8Array(n);
  const shadow = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    if (masks.union[k]! >= 0.01) continue;
    outside[k] = 1;
    let dark = 0;
    for (let c = 0; c < 3; c++)
      dark = Math.max(dark, background.data[k * 3 + c]! - groundTruth.data[k * 3 + c]!);
    if (dark > SHADOW_THRESHOLD) shadow[k] = 1;
  }
  const gains = masks.visible.map((_, i) => {
    const m = new Uint8Array(n);
    for (let k = 0; k < n; k++) m[k] = masks.owner[k] === i ? 1 : 0;
    const inner = erode(m, output.width, output.height);
    const pixels: number[] = [];
    for (let k = 0; k < n; k++) if (inner[k]) pixels.push(k);
    return pixels.length === 0 ? undefined : leastSquaresGain(output, groundTruth, pixels);
  });
  const known = gains.filter((g) => g !== undefined);
  return {
    backgroundError: lowResolutionDistance(output, groundTruth, outside),
    shadowError: lowResolutionDistance(output, groundTruth, shadow),
    lightGainDeviation:
      known.length === 0 ? 0 : known.reduce((s, g) => s + gainDeviation(g), 0) / known.length,
    gains: gains.map((g) => g ?? [1, 1, 1]),
  };
}
