// Layer-wise re-generation (method.md §7): the previous output becomes the background, only the chosen layers are
// pasted over it (cut to their visible masks), and per-pixel noise control keeps everything else while the chosen
// layers are re-imagined at their own strengths.
import { CollageError } from '../errors.ts';
import {
  canvasToImage,
  compositeOver,
  imageToCanvas,
  noiseStrengthMap,
  placeDocumentLayers,
  visibleMasks,
  type CollagePlan,
  type PlacedLayer,
  type RgbaImage,
} from '../collage/index.ts';
import type { CollageInput } from './pipeline.ts';

/**
 * The plan of a re-generation, from the plan of the collage itself.
 * @param previous the earlier output, canvas size
 * @param layerIds the layers to re-imagine (visible layer ids of the document)
 * @throws CollageError for an unknown or hidden layer id, or a previous image of another size
 */
export function regenerationPlan(plan: CollagePlan, collage: CollageInput, previous: RgbaImage, layerIds: readonly string[]): CollagePlan {
  const { document } = collage;
  checkRegeneration(plan, previous, layerIds, document.where);
  const chosen = new Set(layerIds);
  const placed = placeDocumentLayers(document, collage.images);
  const masks = visibleMasks(placed);
  const picked = plan.layers.flatMap((layer, i) => (chosen.has(layer.id) ? [{ layer, cut: cutToMask(placed[i]!, masks[i]!) }] : []));
  const composite = compositeOver(imageToCanvas(previous), picked.map((p) => p.cut));
  const strength = noiseStrengthMap(
    picked.map((p) => p.layer.visibleMask),
    picked.map((p) => p.layer.noise),
    plan.width,
    plan.height,
    plan.latent,
    0,
    0, // outside the chosen layers: keep the previous output
  );
  return {
    ...plan,
    composite: canvasToImage(composite),
    background: previous,
    noiseStrength: strength,
    layers: plan.layers.map((l) => (chosen.has(l.id) ? l : { ...l, noise: 0 })),
  };
}

function checkRegeneration(plan: CollagePlan, previous: RgbaImage, layerIds: readonly string[], where: string): void {
  const problems = layerIds
    .filter((id) => !plan.layers.some((l) => l.id === id))
    .map((id) => ({ what: `no visible layer "${id}" to re-generate`, where, fix: `use one of ${plan.layers.map((l) => l.id).join(', ')}` }));
  if (layerIds.length === 0) problems.push({ what: 'no layer chosen to re-generate', where, fix: 'name at least one layer id' });
  if (previous.width !== plan.width || previous.height !== plan.height) {
    problems.push({ what: `the previous image is ${previous.width}×${previous.height}, the collage ${plan.width}×${plan.height}`, where, fix: 'use an output of this collage' });
  }
  if (problems.length > 0) throw new CollageError(problems);
}

/** The placed layer with its alpha replaced by its visible mask (the part no layer above covers). */
function cutToMask(layer: PlacedLayer, mask: Float32Array): PlacedLayer {
  const color = new Float32Array(layer.color.length);
  for (let p = 0; p < mask.length; p++) {
    const a = layer.alpha[p]!;
    if (a === 0) continue;
    const k = mask[p]! / a;
    color[p * 3] = layer.color[p * 3]! * k;
    color[p * 3 + 1] = layer.color[p * 3 + 1]! * k;
    color[p * 3 + 2] = layer.color[p * 3 + 2]! * k;
  }
  return { ...layer, color, alpha: mask };
}
