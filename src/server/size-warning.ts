// The warning a job carries when its canvas is far from the model's native size (issue 12 follow-up): the job still
// runs (a user may want a 512² draft from the 128² embedded model), but it is slow and out of the model's training
// distribution, so the editor says so and offers the native size.
import type { ApiProblem } from './api-types.ts';

/** A canvas whose longer side is more than this factor above or below the native size gets a warning. */
export const NATIVE_SIZE_TOLERANCE = 2;

/**
 * The warnings for generating a `widthPx` × `heightPx` canvas with a model trained at `nativeSizePx`²: one when the
 * canvas's longer side is more than NATIVE_SIZE_TOLERANCE× larger or smaller than the native side, else none.
 * @param nativeSizePx undefined = unknown (no warning)
 * @example canvasSizeWarnings(512, 512, 128, 'embedded')[0].what
 *   // 'the canvas is 512×512 px, 4× the embedded model's native 128×128 px'
 */
export function canvasSizeWarnings(widthPx: number, heightPx: number, nativeSizePx: number | undefined, modelId: string): ApiProblem[] {
  if (nativeSizePx === undefined || nativeSizePx <= 0) return [];
  const ratio = Math.max(widthPx, heightPx) / nativeSizePx;
  if (ratio <= NATIVE_SIZE_TOLERANCE && ratio >= 1 / NATIVE_SIZE_TOLERANCE) return [];
  const factor = ratio >= 1 ? `${formatRatio(ratio)}×` : `1/${formatRatio(1 / ratio)}`;
  const consequence = ratio > 1
    ? 'generation is much slower and leaves what the model was trained on (repeated or broken objects are likely)'
    : 'the model was trained on larger images: expect little detail';
  return [{
    what: `the canvas is ${widthPx}×${heightPx} px, ${factor} the ${modelId} model's native ${nativeSizePx}×${nativeSizePx} px: ${consequence}`,
    where: 'document → width, height',
    fix: `resize the canvas to ${widthPx === heightPx ? `${nativeSizePx}×${nativeSizePx}` : `${nativeSizePx} px on its longer side`} (the editor offers it next to the model menu), or choose a model trained at this size`,
  }];
}

const formatRatio = (r: number): string => (Math.abs(r - Math.round(r)) < 0.05 ? String(Math.round(r)) : r.toFixed(1));
