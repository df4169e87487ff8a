// planCollage: a validated document and its images → CollagePlan, the plain data the method consumes
// (architecture.md): composite, visible masks and their pyramid, loss masks, token spans and bias
// coefficients, noise-strength map, resolved per-layer controls.
import { CollageError, throwIfAborted } from '../errors.ts';
import { autoAttentionWeights, autoNoiseStrength, layerSizeRatio } from './auto-defaults.ts';
import { canvasToImage, compositeOver, solidCanvas, visibleMasks, type Canvas } from './composite.ts';
import type { CollageDocument, CollageLayer, GenerationSettings, LayerId } from './document.ts';
import type { CollageImages } from './load.ts';
import { attentionResolutions as resolutionsOf, maskPyramid, resizeArea, type Resolution } from './mask-pyramid.ts';
import { noiseStrengthMap } from './noise-map.ts';
import { coverPlacement, placeLayer } from './placement.ts';
import type { RgbaImage } from '../io/index.ts';
import type { PlacedLayer } from './raster.ts';
import { resolveSceneText } from './scene-text.ts';
import { attentionCoefficients, tokenSpans, type TextTokenizer, type TokenizedText } from './spans.ts';

export interface PlanCollageOptions {
  /** VAE downscale: canvas px per latent px. @default 8 */
  readonly latentScale?: number;
  /** Attention resolutions as downscale factors of the latent. @default [1, 2, 4, 8] (SD's UNet) */
  readonly attentionResolutions?: readonly number[];
  /** CLIP tokenizer; without it the plan has character ranges but no token spans or coefficients. */
  readonly tokenizer?: TextTokenizer;
  /** Learned token per layer id (e.g. "<car>"), inserted before the layer's words (method.md §5). */
  readonly learnedTokens?: ReadonlyMap<string, string>;
  readonly signal?: AbortSignal;
}

export const DEFAULT_PLAN_OPTIONS = Object.freeze({ latentScale: 8, attentionResolutions: [1, 2, 4, 8] as readonly number[] });

/** One visible layer, ready for the method. */
export interface PlannedLayer {
  readonly id: LayerId;
  readonly text: string;
  /** Index in the document's layers (hidden ones counted). */
  readonly documentIndex: number;
  /** m_i at canvas size, [H*W]. */
  readonly visibleMask: Float32Array;
  /** m_i at each attention resolution, [h_r*w_r] each, in plan.attentionResolutions order. */
  readonly maskPyramid: readonly Float32Array[];
  /** α_i (the layer's visible mask in the composite of layers 0..i) at latent size, [hLat*wLat]: inversion's loss mask. */
  readonly lossMask: Float32Array;
  /** Relative size r in [0, 1] (auto-defaults.ts). */
  readonly sizeRatio: number;
  /** Noise strength s_i, capped by generation.strengthCap. */
  readonly noise: number;
  readonly attention: { readonly positive: number; readonly negative: number };
  readonly invert: boolean;
  readonly embedding?: string;
  /** [start, end) characters in plan.sceneText, learned token included. */
  readonly charRange: { readonly start: number; readonly end: number };
  /** Token positions in the scene text (only with a tokenizer). */
  readonly tokenIndices?: readonly number[];
}

export interface CollagePlan {
  readonly width: number;
  readonly height: number;
  readonly latent: Resolution;
  readonly attentionResolutions: readonly Resolution[];
  /** Opaque composite, HWC RGBA 8-bit. */
  readonly composite: RgbaImage;
  /** The background alone (colour or cover-fitted image), opaque. */
  readonly background: RgbaImage;
  /** Visible layers, bottom first. */
  readonly layers: readonly PlannedLayer[];
  /** Resolved scene text (placeholders replaced, learned tokens inserted). */
  readonly sceneText: string;
  readonly negativePrompt: string;
  readonly tokens?: TokenizedText;
  /** Per attention resolution, A as [HW, 77] (only with a tokenizer). */
  readonly attentionCoefficients?: readonly Float32Array[];
  /** Noise strength: image [H*W] blurred, latent [hLat*wLat] nearest, and s_max. */
  readonly noiseStrength: { readonly image: Float32Array; readonly latent: Float32Array; readonly sMax: number };
  readonly generation: GenerationSettings;
}

/**
 * Plans a collage. Pure computation on plain data; the only failures are user errors.
 * @throws CollageError for a canvas not divisible by latentScale, an image missing from `images`, a prompt or
 *   negative prompt over 75 tokens, or a layer text that cannot be found
 */
export function planCollage(doc: CollageDocument, images: CollageImages, options: PlanCollageOptions = {}): CollagePlan {
  const latentScale = options.latentScale ?? DEFAULT_PLAN_OPTIONS.latentScale;
  const factors = options.attentionResolutions ?? DEFAULT_PLAN_OPTIONS.attentionResolutions;
  const { width, height, where } = doc;
  if (width % latentScale !== 0 || height % latentScale !== 0) {
    throw new CollageError({
      what: `canvas ${width}×${height} is not divisible by the model's latent scale ${latentScale}`,
      where: `${where} → width/height`,
      fix: `use multiples of ${latentScale}`,
    });
  }
  const latent = { width: width / latentScale, height: height / latentScale };
  const resolutions = resolutionsOf(latent, factors);
  const visible = doc.layers.map((layer, documentIndex) => ({ layer, documentIndex })).filter((l) => l.layer.visible);

  const scene = resolveSceneText(doc.prompt, doc.layers, where, options.learnedTokens);
  if (scene.problems.length > 0) throw new CollageError(scene.problems);
  const tokens = options.tokenizer?.tokenize(scene.text);
  const spans = tokens === undefined ? undefined : tokenSpans(tokens, scene.ranges, where);
  if (options.tokenizer !== undefined) checkNegativePrompt(options.tokenizer, doc);
  throwIfAborted(options.signal, 'planning the collage');

  const backgroundCanvas = backgroundOf(doc, images);
  const placed = placeDocumentLayers(doc, images);
  throwIfAborted(options.signal, 'planning the collage');
  const composite = compositeOver(backgroundCanvas, placed);
  const masks = visibleMasks(placed);

  const cap = doc.generation.strengthCap ?? 1;
  const controls = visible.map(({ layer }, i) => resolveControls(layer, images, doc, i === visible.length - 1, cap));
  const strength = noiseStrengthMap(masks, controls.map((c) => c.noise), width, height, latent, cap);

  const layers: PlannedLayer[] = visible.map(({ layer, documentIndex }, i) => {
    const range = scene.ranges.find((r) => r.id === layer.id);
    if (range === undefined) throw new CollageError({ what: `layer "${layer.id}" has no words in the prompt`, where });
    const tokenIndices = spans?.find((s) => s.id === layer.id)?.tokenIndices;
    const planned: PlannedLayer = {
      id: layer.id,
      text: layer.text,
      documentIndex,
      visibleMask: masks[i]!,
      maskPyramid: maskPyramid(masks[i]!, width, height, resolutions),
      lossMask: resizeArea(placed[i]!.alpha, width, height, latent.width, latent.height),
      ...controls[i]!,
      invert: layer.invert,
      charRange: { start: range.start, end: range.end },
      ...(layer.embedding === undefined ? {} : { embedding: layer.embedding }),
      ...(tokenIndices === undefined ? {} : { tokenIndices }),
    };
    return planned;
  });

  const coefficients =
    spans === undefined
      ? undefined
      : resolutions.map((r, k) =>
          attentionCoefficients(
            layers.map((l, i) => ({ span: spans[i]!, ...l.attention, mask: l.maskPyramid[k]! })),
            r.width * r.height,
          ),
        );
  return {
    width,
    height,
    latent,
    attentionResolutions: resolutions,
    composite: canvasToImage(composite),
    background: canvasToImage(backgroundCanvas),
    layers,
    sceneText: scene.text,
    negativePrompt: doc.negativePrompt,
    ...(tokens === undefined ? {} : { tokens }),
    ...(coefficients === undefined ? {} : { attentionCoefficients: coefficients }),
    noiseStrength: strength,
    generation: doc.generation,
  };
}

/** Every visible layer placed on the canvas, bottom first (for composites of layers 0..i, e.g. inversion targets). */
export function placeDocumentLayers(doc: CollageDocument, images: CollageImages): PlacedLayer[] {
  return doc.layers.flatMap((layer, i) => {
    if (!layer.visible) return [];
    const image = imageOf(layer, images, doc.where, i);
    const placement = { xPx: layer.x, yPx: layer.y, scale: layer.scale, rotationDeg: layer.rotation };
    return [placeLayer(image, placement, doc.width, doc.height)];
  });
}

/** The opaque background canvas: the colour, or the image fitted to cover over the default grey. */
export function backgroundOf(doc: CollageDocument, images: CollageImages): Canvas {
  const bg = doc.background;
  if (bg.kind === 'color') return solidCanvas(doc.width, doc.height, bg.rgb);
  const image = images.background;
  if (image === undefined) {
    throw new CollageError({ what: 'the background image was not loaded', where: `${doc.where} → background.image`, fix: 'load it with loadCollageImages' });
  }
  const placed = placeLayer(image, coverPlacement(image.width, image.height, doc.width, doc.height), doc.width, doc.height);
  return compositeOver(solidCanvas(doc.width, doc.height, [150, 150, 150]), [placed]);
}

function imageOf(layer: CollageLayer, images: CollageImages, where: string, index: number): RgbaImage {
  const image = images.layers.get(layer.id);
  if (image === undefined) {
    throw new CollageError({ what: `no image was loaded for layer "${layer.id}"`, where: `${where} → layers[${index}].image`, fix: 'load it with loadCollageImages' });
  }
  return image;
}

function resolveControls(layer: CollageLayer, images: CollageImages, doc: CollageDocument, isTop: boolean, cap: number) {
  const image = images.layers.get(layer.id);
  const r = image === undefined ? 1 : layerSizeRatio(image.width, image.height, layer.scale, doc.width, doc.height);
  const auto = autoAttentionWeights(r);
  return {
    sizeRatio: r,
    noise: Math.min(cap, layer.noise ?? autoNoiseStrength(r, isTop)),
    attention: { positive: layer.attention.positive ?? auto.positive, negative: layer.attention.negative ?? auto.negative },
  };
}

function checkNegativePrompt(tokenizer: TextTokenizer, doc: CollageDocument): void {
  if (doc.negativePrompt.length === 0) return;
  const tokens = tokenizer.tokenize(doc.negativePrompt);
  if (tokens.truncated.trim().length > 0) {
    throw new CollageError({
      what: `the negative prompt is over the text encoder's 75 tokens; these words fall off: "${tokens.truncated.trim()}"`,
      where: `${doc.where} → negativePrompt`,
      fix: 'shorten the negative prompt',
    });
  }
}
