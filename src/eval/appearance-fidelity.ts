// Appearance fidelity (world.md "Metrics", method.md §9): does each object keep its colour, pattern and shape,
// whatever light it is under?
import type { RgbImage } from '../world/index.ts';
import { leastSquaresGain, lightLikeGain } from './colour-gain.ts';
import { erode, type CaseMasks } from './masks.ts';

/** Offset inside the logarithm: keeps black objects (albedo 0.07 at night ≈ 0.02) from dominating. */
const LOG_EPSILON = 0.02;
/** Stabiliser of the structure ratio per pixel and channel (in squared log units): plain vs plain = 1. */
const STRUCTURE_C = 0.01;
const CHROMA_EPSILON = 0.05;

export interface AppearanceFidelity {
  /** Mean over objects of the pattern structure similarity, in [-1, 1]; 1 = same pattern. */
  readonly pattern: number;
  /** Mean over objects of the chromaticity error after the light-like gain, ≥ 0; 0 = same colours. */
  readonly chromaError: number;
  readonly perObject: readonly { readonly pattern: number; readonly chromaError: number }[];
}

/** One part of an object: its inner pixels (list) and the same set as a [H, W] mask. */
interface PartRegion {
  readonly pixels: readonly number[];
  readonly inner: Uint8Array;
}

/**
 * The pixels of object i, part by part: fully covered by the object (visible coverage 1, so no pixel mixes in the
 * background or a neighbour), then eroded by one pixel.
 */
function partRegions(masks: CaseMasks, object: number): PartRegion[] {
  const { width, height, part } = masks;
  const visible = masks.visible[object]!;
  const regions: PartRegion[] = [];
  for (let p = 0; p < 4; p++) {
    const m = new Uint8Array(width * height);
    let any = false;
    for (let k = 0; k < m.length; k++) {
      if (visible[k]! >= 0.999 && part[k] === p) {
        m[k] = 1;
        any = true;
      }
    }
    if (!any) continue;
    const inner = erode(m, width, height);
    const pixels: number[] = [];
    for (let k = 0; k < inner.length; k++) if (inner[k]) pixels.push(k);
    if (pixels.length > 0) regions.push({ pixels, inner });
  }
  return regions;
}

/**
 * High-pass of log intensity: h_c(p) = ln(v_c(p) + ε) − mean over q in the 3×3 around p inside the same part region
 * of ln(v_c(q) + ε). A smooth shading field (and any constant gain) cancels; pattern edges remain.
 * @param inner [H, W] the part region (never touches the image border: it is eroded)
 */
function highPass(image: RgbImage, width: number, inner: Uint8Array, k: number, out: Float64Array): void {
  const d = image.data;
  let count = 0;
  out[3] = out[4] = out[5] = 0;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const q = k + dy * width + dx;
      if (!inner[q]) continue;
      count++;
      for (let c = 0; c < 3; c++) out[3 + c] = out[3 + c]! + Math.log(d[q * 3 + c]! + LOG_EPSILON);
    }
  }
  for (let c = 0; c < 3; c++) out[c] = Math.log(d[k * 3 + c]! + LOG_EPSILON) - out[3 + c]! / count;
}

function chromaDistance(a: readonly number[], b: readonly number[]): number {
  const sa = a[0]! + a[1]! + a[2]! + CHROMA_EPSILON;
  const sb = b[0]! + b[1]! + b[2]! + CHROMA_EPSILON;
  let d = 0;
  for (let c = 0; c < 3; c++) d += (a[c]! / sa - b[c]! / sb) ** 2;
  return Math.sqrt(d);
}

/**
 * Appearance fidelity of an output against the ground truth, inside each object's fully visible pixels (each part
 * eroded by one pixel, so edges and face boundaries do not count).
 *
 * pattern_i = (2 Σ h_out·h_ref + C·N) / (Σ h_out² + Σ h_ref² + C·N), sums over the object's pixels and the three
 *   channels, h the log-intensity high-pass above (SSIM's structure term on log intensities: a light change
 *   multiplies intensities, which the log turns into an offset that the high-pass removes).
 * chromaError_i = mean over pixels of ‖chroma(g'_part ⊙ out) − chroma(ref)‖₂, chroma(v) = v / (Σ_c v_c + ε), with
 *   g'_part the light-like gain (colour-gain.ts) fitted per part of the object, so relighting is forgiven up to the
 *   tint of a real light and a colour swap is not.
 *
 * @param output [H, W, 3]
 * @param groundTruth [H, W, 3]
 */
export function appearanceFidelity(
  output: RgbImage,
  groundTruth: RgbImage,
  masks: CaseMasks,
): AppearanceFidelity {
  const hOut = new Float64Array(6);
  const hRef = new Float64Array(6);
  const perObject = masks.visible.map((_, i) => {
    let cross = 0;
    let energy = 0;
    let chroma = 0;
    let count = 0;
    for (const { pixels, inner } of partRegions(masks, i)) {
      const g = lightLikeGain(leastSquaresGain(output, groundTruth, pixels));
      for (const k of pixels) {
        highPass(output, masks.width, inner, k, hOut);
        highPass(groundTruth, masks.width, inner, k, hRef);
        for (let c = 0; c < 3; c++) {
          cross += hOut[c]! * hRef[c]!;
          energy += hOut[c]! * hOut[c]! + hRef[c]! * hRef[c]!;
        }
        const o = [
          output.data[k * 3]! * g[0],
          output.data[k * 3 + 1]! * g[1],
          output.data[k * 3 + 2]! * g[2],
        ];
        const r = [groundTruth.data[k * 3]!, groundTruth.data[k * 3 + 1]!, groundTruth.data[k * 3 + 2]!];
        chroma += chromaDistance(o, r);
        count++;
      }
    }
    if (count === 0) return { pattern: Number.NaN, chromaError: Number.NaN };
    const c = STRUCTURE_C * count * 3;
    return { pattern: (2 * cross + c) / (energy + c), chromaError: chroma / count };
  });
  const decided = perObject.filter((o) => !Number.isNaN(o.pattern));
  const mean = (f: (o: { pattern: number; chromaError: number }) => number, empty: number): number =>
    decided.length === 0 ? empty : decided.reduce((s, o) => s + f(o), 0) / decided.length;
  return { pattern: mean((o) => o.pattern, 1), chromaError: mean((o) => o.chromaError, 0), perObject };
}
