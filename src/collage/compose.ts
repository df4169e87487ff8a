// `compose`: everything a user checks before a long generation, as images: the composite, one visible mask per
// layer, a colour-coded overview of all masks, and the noise-strength map; plus the token-span table.
import { planCollage, type CollagePlan, type PlanCollageOptions } from './plan.ts';
import type { CollageDocument } from './document.ts';
import type { CollageImages } from './load.ts';
import type { RgbaImage } from '../io/index.ts';
import { greyImage } from './raster.ts';
import { formatSpanTable } from './spans.ts';

/** One output image and its file name. */
export interface ComposeOutput {
  readonly fileName: string;
  readonly image: RgbaImage;
}

export interface ComposeResult {
  readonly plan: CollagePlan;
  readonly outputs: readonly ComposeOutput[];
  /** One line per visible layer: token positions and words (or character ranges without a tokenizer). */
  readonly spanTable: string;
}

/** Distinct, saturated colours for the overview, cycled past eight layers. */
export const OVERVIEW_COLOURS: readonly (readonly [number, number, number])[] = [
  [230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60],
];

/**
 * Plans the collage and renders the check images: `composite.png`, `mask-<id>.png`, `masks.png`, `noise.png`.
 * @throws CollageError as planCollage does
 */
export function composeCollage(doc: CollageDocument, images: CollageImages, options: PlanCollageOptions = {}): ComposeResult {
  const plan = planCollage(doc, images, options);
  const { width, height } = plan;
  const outputs: ComposeOutput[] = [{ fileName: 'composite.png', image: plan.composite }];
  for (const layer of plan.layers) outputs.push({ fileName: `mask-${layer.id}.png`, image: greyImage(layer.visibleMask, width, height) });
  outputs.push({ fileName: 'masks.png', image: maskOverview(plan.layers.map((l) => l.visibleMask), width, height) });
  outputs.push({ fileName: 'noise.png', image: greyImage(plan.noiseStrength.image, width, height) });
  const ranges = plan.layers.map((l) => ({ id: l.id, ...l.charRange }));
  const spans = plan.tokens === undefined ? undefined : plan.layers.map((l) => ({ id: l.id, tokenIndices: l.tokenIndices ?? [] }));
  return { plan, outputs, spanTable: formatSpanTable(plan.sceneText, plan.tokens, ranges, spans) };
}

/**
 * Colour-coded masks: Σ m_i·colour_i over a dark grey where no layer is visible.
 * @param masks [H*W] each, bottom first
 */
export function maskOverview(masks: readonly Float32Array[], width: number, height: number): RgbaImage {
  const n = width * height;
  const rgb = new Float32Array(n * 3);
  const covered = new Float32Array(n);
  masks.forEach((mask, i) => {
    const [r, g, b] = OVERVIEW_COLOURS[i % OVERVIEW_COLOURS.length]!;
    for (let p = 0; p < n; p++) {
      const m = mask[p]!;
      if (m === 0) continue;
      rgb[p * 3] = rgb[p * 3]! + m * r;
      rgb[p * 3 + 1] = rgb[p * 3 + 1]! + m * g;
      rgb[p * 3 + 2] = rgb[p * 3 + 2]! + m * b;
      covered[p] = covered[p]! + m;
    }
  });
  const data = new Uint8Array(n * 4);
  for (let p = 0; p < n; p++) {
    const rest = Math.max(0, 1 - covered[p]!) * 40;
    data[p * 4] = Math.round(rgb[p * 3]! + rest);
    data[p * 4 + 1] = Math.round(rgb[p * 3 + 1]! + rest);
    data[p * 4 + 2] = Math.round(rgb[p * 3 + 2]! + rest);
    data[p * 4 + 3] = 255;
  }
  return { width, height, data };
}
