// The per-object colour gain (world.md "Metrics"): how much each channel of an output must be scaled to match the
// ground truth on a set of pixels. Appearance forgives it (lighting is not counted twice); harmonization reports it.
import type { RgbImage } from '../world/index.ts';

export type Gain = readonly [number, number, number];

/**
 * Least-squares gain g_c = Σ out_c·ref_c / Σ out_c² over the listed pixels, so that ref ≈ g ⊙ out.
 * A channel with no energy in the output gets gain 1.
 * @param pixels indices k of pixels (y·W + x)
 */
export function leastSquaresGain(output: RgbImage, reference: RgbImage, pixels: ArrayLike<number>): Gain {
  const num = [0, 0, 0];
  const den = [0, 0, 0];
  for (let i = 0; i < pixels.length; i++) {
    const k = pixels[i]! * 3;
    for (let c = 0; c < 3; c++) {
      const o = output.data[k + c]!;
      num[c]! += o * reference.data[k + c]!;
      den[c]! += o * o;
    }
  }
  const g = (c: number): number => (den[c]! > 1e-9 ? num[c]! / den[c]! : 1);
  return [g(0), g(1), g(2)];
}

/** Bounds of a gain that a change of light can explain (world/lighting.ts keeps light tints within them). */
export const LIGHT_GAIN_BOUNDS = Object.freeze({
  /** Overall brightness factor s (geometric mean of the gain). */
  brightnessMin: 0.2,
  brightnessMax: 5,
  /** Each channel's gain over the geometric mean: the tint of the light. */
  tintMin: 0.55,
  tintMax: 1.8,
});

/**
 * The part of a gain a change of light can explain: g'_c = clamp(s) · clamp(g_c / s), s = (g_0 g_1 g_2)^(1/3).
 * A colour swap (red → blue needs g ≈ (0.15, 2.5, 8.5)) is mostly left over, a relight is not.
 */
export function lightLikeGain(g: Gain): Gain {
  const b = LIGHT_GAIN_BOUNDS;
  const s = Math.cbrt(Math.max(1e-6, g[0]) * Math.max(1e-6, g[1]) * Math.max(1e-6, g[2]));
  const sc = Math.min(b.brightnessMax, Math.max(b.brightnessMin, s));
  const t = (c: number): number => sc * Math.min(b.tintMax, Math.max(b.tintMin, g[c]! / s));
  return [t(0), t(1), t(2)];
}

/** Mean over channels of |ln g_c|: 0 when the output is lit like the scene. */
export function gainDeviation(g: Gain): number {
  return (
    (Math.abs(Math.log(Math.max(1e-6, g[0]))) +
      Math.abs(Math.log(Math.max(1e-6, g[1]))) +
      Math.abs(Math.log(Math.max(1e-6, g[2])))) /
    3
  );
}
