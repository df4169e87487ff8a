// Benchmark cases (world.md "Benchmark cases"): a scene S from the evaluation seed stream, its render (ground truth),
// its empty background, and the naive collage: that background plus each object rendered alone under a different
// light, without shadow, pasted where it stands in S.
import {
  captionOf,
  objectPhrase,
  promptTemplateOf,
  renderObjectLayer,
  renderSceneDetailed,
  sampleLighting,
  sampleScene,
  sceneRng,
  type Lighting,
  type ObjectLayer,
  type RgbImage,
  type Scene,
  type SceneObject,
  type SeedStream,
} from '../world/index.ts';
import { caseMasks, type CaseMasks } from './masks.ts';

/** One pasted object of a case. */
export interface CaseLayer {
  readonly object: SceneObject;
  /** The light it was rendered under: always a different time of day than the scene's. */
  readonly lighting: Lighting;
  /** Its phrase in the caption, e.g. "a red striped ball": the collage layer's `text`. */
  readonly text: string;
  /** The cut-out, placed at (x, y) on the canvas. */
  readonly layer: ObjectLayer;
}

/** A benchmark case: everything a method sees and everything the metrics compare against. */
export interface BenchmarkCase {
  /** Index in its seed stream, 'eval' for benchmark cases (disjoint from training scenes by construction, world/rng.ts). */
  readonly index: number;
  readonly scene: Scene;
  /** The full scene caption, e.g. "a red striped ball and a small blue cube on snow at sunset". */
  readonly text: string;
  /** The caption with `{id}` placeholders, the collage document's `prompt`. */
  readonly promptTemplate: string;
  readonly widthPx: number;
  readonly heightPx: number;
  /** [H, W, 3] render(S). */
  readonly groundTruth: RgbImage;
  /** [H, W, 3] S without objects and shadows: the collage's background. */
  readonly background: RgbImage;
  /** [H, W, 3] the naive collage: background + layers pasted with their alpha. */
  readonly naive: RgbImage;
  /** Bottom (far) first, like the collage document's layers. */
  readonly layers: readonly CaseLayer[];
  /** Where each object of S is visible, from the scene-lit render. */
  readonly masks: CaseMasks;
}

/** Draws a lighting with a different time of day than `scene` (a day-lit cube pasted into a sunset scene). */
function otherLighting(rng: ReturnType<typeof sceneRng>, scene: Scene): Lighting {
  for (;;) {
    const l = sampleLighting(rng);
    if (l.time !== scene.lighting.time) return l;
  }
}

/**
 * Pastes cut-out layers over a background ("over", straight alpha).
 * @param background [H, W, 3]
 * @returns [H, W, 3] a new image
 */
export function pasteLayers(background: RgbImage, layers: readonly ObjectLayer[]): RgbImage {
  const { width, height } = background;
  const data = background.data.slice();
  for (const { x, y, image } of layers) {
    for (let j = 0; j < image.height; j++) {
      const cy = y + j;
      if (cy < 0 || cy >= height) continue;
      for (let i = 0; i < image.width; i++) {
        const cx = x + i;
        if (cx < 0 || cx >= width) continue;
        const s = (j * image.width + i) * 4;
        const a = image.data[s + 3]!;
        if (a === 0) continue;
        const d = (cy * width + cx) * 3;
        for (let c = 0; c < 3; c++) data[d + c] = data[d + c]! * (1 - a) + image.data[s + c]! * a;
      }
    }
  }
  return { width, height, data };
}

/**
 * Builds evaluation case `index` at the given size. Deterministic: the scene and the layers' lights are drawn, in
 * that order, from the 'eval' stream's generator of that index.
 * @param sizePx canvas side, px (square)
 * @param stream 'eval' for the benchmark; 'train' only for `world sample`'s ready-made collages of training scenes
 */
export function makeCase(index: number, sizePx: number, stream: SeedStream = 'eval'): BenchmarkCase {
  const rng = sceneRng(stream, index);
  const scene = sampleScene(rng);
  const lightings = scene.objects.map(() => otherLighting(rng, scene));
  return caseFromScene(scene, lightings, sizePx, index);
}

/**
 * Builds a case from any scene, each object's layer rendered under the given lighting (tests, hand-made cases).
 * @param layerLightings one per object, painting order
 * @param index recorded as the case's index and the collage's seed
 */
export function caseFromScene(
  scene: Scene,
  layerLightings: readonly Lighting[],
  sizePx: number,
  index = 0,
): BenchmarkCase {
  const render = renderSceneDetailed(scene, sizePx, sizePx);
  const layers = scene.objects.map((object, i) => {
    const lighting = layerLightings[i] ?? scene.lighting;
    return {
      object,
      lighting,
      text: objectPhrase(object),
      layer: renderObjectLayer(object, lighting, sizePx, sizePx),
    };
  });
  return {
    index,
    scene,
    text: captionOf(scene),
    promptTemplate: promptTemplateOf(scene),
    widthPx: sizePx,
    heightPx: sizePx,
    groundTruth: render.image,
    background: render.background,
    naive: pasteLayers(
      render.background,
      layers.map((l) => l.layer),
    ),
    layers,
    masks: caseMasks(render.objects, sizePx, sizePx),
  };
}

/** A collage document (collage-format.md, version 1) as plain JSON data. */
export interface CollageDocumentJson {
  readonly version: 1;
  readonly width: number;
  readonly height: number;
  readonly background: { readonly image: string };
  readonly prompt: string;
  readonly layers: readonly {
    readonly id: string;
    readonly image: string;
    readonly text: string;
    readonly x: number;
    readonly y: number;
    /** Noise strength s in [0, 1] (collage-format.md); absent = the method's auto value (method.md §6). */
    readonly noise?: number;
  }[];
  readonly generation: { readonly seed: number };
}

/**
 * The case's collage document, image paths relative to the document.
 * @param backgroundPath path of the background PNG, e.g. "background.png"
 * @param layerPath maps a layer id to its PNG path, e.g. id => `layers/${id}.png`
 */
export function collageDocument(
  c: BenchmarkCase,
  backgroundPath: string,
  layerPath: (id: string) => string,
): CollageDocumentJson {
  return {
    version: 1,
    width: c.widthPx,
    height: c.heightPx,
    background: { image: backgroundPath },
    prompt: c.promptTemplate,
    layers: c.layers.map((l) => ({
      id: l.object.id,
      image: layerPath(l.object.id),
      text: l.text,
      x: l.layer.x,
      y: l.layer.y,
    })),
    generation: { seed: c.index },
  };
}
