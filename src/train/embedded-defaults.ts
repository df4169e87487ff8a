// Settings that travel with the embedded model (io's CollageModelDefaults, written into model_index.json under
// "_collage_diffusion" by export.ts), so a re-exported folder keeps them. Each value states its measurement; re-measure
// after retraining with `COLLAGE_THREADS=1 nice -n 10 node --import tsx scripts/inversion-curve.ts` (add
// `--at 0,50,100,150,200,250,300,400,500 --layers 4 --out docs/measurements/inversion-curve-embedded-500.json` for the
// plateau).
import type { CollageModelDefaults } from '../io/index.ts';

/**
 * The embedded model's defaults.
 *
 * Inversion steps 100, set by the benchmark rather than by the loss (docs/measurements/inversion-steps-benchmark-embedded.md).
 * The held-out masked loss keeps falling to 250 steps and beyond (docs/measurements/inversion-curve-embedded*.md:
 * factor 1.040 in 100 steps, 1.115 in 250 over 6 layers; 250 reach 88 % of the 500-step reduction), but on benchmark
 * cases 0–19 at noise 0.8, 250 steps against 100 raise background error 0.129 → 0.179 and chroma error 0.211 →
 * 0.232 and lower IoU 0.128 → 0.105 (object recall alone rises, 0.650 → 0.747): the token, constrained only inside
 * its mask, moves the rest of the image more the longer it learns. 100 steps cost 2.5× less and harm less.
 */
export const EMBEDDED_MODEL_DEFAULTS: CollageModelDefaults = Object.freeze({ inversion: Object.freeze({ steps: 100 }) });
