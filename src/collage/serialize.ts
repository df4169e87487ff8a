// A parsed collage document back to its JSON form (collage-format.md), images inlined as PNG data URIs, so one
// JSON value (e.g. in a result PNG's metadata) re-runs or edits a result anywhere.
import { pngDataUri } from '../io/index.ts';
import type { CollageDocumentJson, CollageLayerJson } from './document-schema.ts';
import type { CollageDocument, GenerationSettings } from './document.ts';
import type { CollageImages } from './load.ts';

function hexColour(rgb: readonly [number, number, number]): string {
  return `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The document as JSON with every image inline; `generation` replaced when given (e.g. the resolved settings).
 * Keys that hold their defaults are written too, so the value documents what ran.
 */
export async function documentToJson(doc: CollageDocument, images: CollageImages, generation: GenerationSettings = doc.generation): Promise<CollageDocumentJson> {
  const layers: CollageLayerJson[] = [];
  for (const layer of doc.layers) {
    const image = images.layers.get(layer.id);
    layers.push({
      id: layer.id,
      image: image ? await pngDataUri(image) : '',
      text: layer.text,
      visible: layer.visible,
      x: layer.x,
      y: layer.y,
      scale: layer.scale,
      rotation: layer.rotation,
      ...(layer.noise === undefined ? {} : { noise: layer.noise }),
      ...(layer.attention.positive === undefined && layer.attention.negative === undefined ? {} : { attention: { ...layer.attention } }),
      invert: layer.invert,
      ...(layer.embedding === undefined ? {} : { embedding: layer.embedding }),
      ...(layer.canny === undefined ? {} : { canny: layer.canny }),
    });
  }
  const background = doc.background.kind === 'color' ? hexColour(doc.background.rgb) : { image: images.background ? await pngDataUri(images.background) : '' };
  return {
    version: 1,
    width: doc.width,
    height: doc.height,
    background,
    prompt: doc.prompt,
    negativePrompt: doc.negativePrompt,
    layers,
    generation: { ...generation },
  };
}
