// Spatial fidelity (world.md "Metrics", method.md §9): are the objects where their layers put them?
import type { RgbImage } from '../world/index.ts';
import type { CaseMasks } from './masks.ts';

/** A pixel is foreground when some channel differs from the empty background by more than this (RGB in [0, 1]). */
export const FOREGROUND_THRESHOLD = 0.08;

/** Where an image differs from the empty background: [H, W] 1 = foreground. */
export function foreground(
  image: RgbImage,
  background: RgbImage,
  threshold = FOREGROUND_THRESHOLD,
): Uint8Array {
  const n = image.width * image.height;
  const out = new Uint8Array(n);
  const a = image.data;
  const b = background.data;
  for (let k = 0; k < n; k++) {
    const d = Math.max(
      Math.abs(a[k * 3]! - b[k * 3]!),
      Math.abs(a[k * 3 + 1]! - b[k * 3 + 1]!),
      Math.abs(a[k * 3 + 2]! - b[k * 3 + 2]!),
    );
    out[k] = d > threshold ? 1 : 0;
  }
  return out;
}

export interface SpatialFidelity {
  /** IoU of the output's foreground with the layers' union, in [0, 1]; 1 = perfect. */
  readonly iou: number;
  /** Mean over objects of the fraction of the object's visible mask that is foreground, in [0, 1]. */
  readonly objectRecall: number;
  /** The per-object fractions, painting order (NaN for an object with no decidable pixel). */
  readonly perObject: readonly number[];
}

/**
 * Spatial fidelity of an output against a case.
 *
 * With F = foreground(output), G = foreground(ground truth), U = {union of layer masks ≥ 0.5}:
 *   target T = U ∩ G, ignored I = (G \ U) ∪ (U \ G)
 *   iou = |F ∩ T| / |(F ∪ T) \ I|
 *   recall_i = |F ∩ M_i ∩ G| / |M_i ∩ G|, M_i = {visible mask of object i ≥ 0.5}; objectRecall = mean_i recall_i
 * G \ U holds the ground truth's shadows (a method may draw them) and U \ G the object pixels that happen to match
 * the background (no method can show them); neither counts, so the ground truth scores exactly 1.
 *
 * @param output [H, W, 3]
 * @param groundTruth [H, W, 3] render(S)
 * @param background [H, W, 3] S's empty background
 */
export function spatialFidelity(
  output: RgbImage,
  groundTruth: RgbImage,
  background: RgbImage,
  masks: CaseMasks,
): SpatialFidelity {
  const f = foreground(output, background);
  const g = foreground(groundTruth, background);
  const n = f.length;
  let intersection = 0;
  let union = 0;
  for (let k = 0; k < n; k++) {
    const u = masks.union[k]! >= 0.5 ? 1 : 0;
    if (u !== g[k]) continue; // ignored: shadow, or object indistinguishable from the background
    const t = u & g[k]!;
    if (f[k]! & t) intersection++;
    if (f[k]! | t) union++;
  }
  const perObject = masks.visible.map((vis) => {
    let inside = 0;
    let hit = 0;
    for (let k = 0; k < n; k++) {
      if (vis[k]! < 0.5 || g[k] === 0) continue;
      inside++;
      hit += f[k]!;
    }
    return inside === 0 ? Number.NaN : hit / inside;
  });
  const decided = perObject.filter((v) => !Number.isNaN(v));
  return {
    iou: union === 0 ? 1 : intersection / union,
    objectRecall: decided.length === 0 ? 1 : decided.reduce((s, v) => s + v, 0) / decided.length,
    perObject,
  };
}
