// Import of the official Collage Diffusion demo's saved collage state (linden-li/collage-diffusion-ui: camelCase in
// its examples file, snake_case on its server) so its users can bring their collages over.
//
// Mapping, on the demo's fixed 512×512 canvas (its backend, backend/pipeline_controlnet.py + layers.py):
//   position {x, y}: top-left as a fraction of the canvas → x = int(512·x), y = int(512·y) (may be negative);
//   scale: the backend resizes the source image by 512·scale → our scale (source px → canvas px) is 512·scale,
//     i.e. a layer of source width w ends up 512·scale·w canvas px wide;
//   rotation: degrees; the backend's PIL rotate() turns counter-clockwise, ours clockwise → rotation = −rotation;
//   polygon [{x, y}]: cut-out normalised to the source image (x·w, y·h) → multiplies alpha (anti-aliased); [] = none;
//   cacStrength → attention.positive, negativeStrength → attention.negative, noiseStrength → noise,
//   cannyStrength → canny; collagePrompt → prompt (layer texts verbatim); layers[0] is the bottom.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { InputError, type Problem } from '../errors.ts';
import { decodeLayerImage } from './layer-image.ts';
import { importedCollage, type ImportedCollage, type ImportedLayer } from './import-common.ts';
import { rasterizePolygon } from './polygon-mask.ts';
import type { RgbaImage } from '../io/index.ts';

/** The demo's canvas side, px. */
export const DEMO_CANVAS_PX = 512;

const point = z.looseObject({ x: z.number(), y: z.number() });
const demoLayer = z.looseObject({
  originalImgUrl: z.string().min(1).optional(),
  original_img_url: z.string().min(1).optional(),
  textPrompt: z.string().optional(),
  text_prompt: z.string().optional(),
  noiseStrength: z.number().min(0).max(1).optional(),
  cacStrength: z.number().min(0).max(10).optional(),
  negativeStrength: z.number().min(0).max(10).optional(),
  cannyStrength: z.number().min(0).max(10).optional(),
  transform: z.looseObject({
    position: point,
    scale: z.number().gt(0),
    rotation: z.number().optional(),
  }),
  polygon: z.array(point).optional(),
});
const demoState = z.looseObject({
  collagePrompt: z.string().optional(),
  collage_prompt: z.string().optional(),
  prompt: z.string().optional(),
  numInferenceSteps: z.number().int().min(1).optional(),
  num_inference_steps: z.number().int().min(1).optional(),
  total_steps: z.number().int().min(1).optional(),
  guidanceScale: z.number().min(0).optional(),
  guidance_scale: z.number().min(0).optional(),
  seed: z.number().int().min(0).nullable().optional(),
  layers: z.array(demoLayer).optional(),
  collage_layers: z.array(demoLayer).optional(),
});
type DemoLayer = z.infer<typeof demoLayer>;

/**
 * Parses the bytes of a demo JSON file (the CLI reads them from disk, the server from an upload).
 * @throws InputError naming `where` when they are not JSON
 */
export function parseDemoJson(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new InputError({ what: `not valid JSON (${e instanceof Error ? e.message : String(e)})`, where, fix: 'export the collage state from the demo again' });
  }
}

/**
 * Imports a demo collage state. Accepts the state itself, `{ "collage": state }`, or the examples file's list
 * (then `index` picks one). Images: a path relative to the JSON file or a data URI; a remote URL is an error.
 * @throws InputError listing every problem (bad keys, remote or unreadable images)
 */
export async function importDemo(json: unknown, jsonPath: string, index = 0): Promise<ImportedCollage> {
  const where = jsonPath;
  let value = json;
  if (Array.isArray(value)) value = value[index];
  if (typeof value === 'object' && value !== null && 'collage' in value) value = (value as { collage: unknown }).collage;
  const parsed = demoState.safeParse(value);
  if (!parsed.success) {
    throw new InputError(parsed.error.issues.map((i) => ({ what: i.message, where: `${where} → ${i.path.join('.') || '(state)'}`, fix: 'fix the demo state or export it again from the demo' })));
  }
  const state = parsed.data;
  const prompt = state.collagePrompt ?? state.collage_prompt ?? state.prompt ?? '';
  const layers = state.layers ?? state.collage_layers ?? [];
  const problems: Problem[] = [];
  const imported: ImportedLayer[] = [];
  for (const [i, layer] of layers.entries()) {
    const image = await loadDemoImage(layer, dirname(resolve(jsonPath)), `${where} → layers[${i}].originalImgUrl`, problems);
    if (image !== undefined) imported.push(toLayer(layer, image));
  }
  if (problems.length > 0) throw new InputError(problems);
  const steps = state.numInferenceSteps ?? state.num_inference_steps ?? state.total_steps;
  const guidance = state.guidanceScale ?? state.guidance_scale;
  const generation = {
    scheduler: 'euler-a' as const,
    ...(steps === undefined ? {} : { steps }),
    ...(guidance === undefined ? {} : { guidance }),
    ...(state.seed === undefined || state.seed === null ? {} : { seed: state.seed }),
  };
  const collage = importedCollage(DEMO_CANVAS_PX, DEMO_CANVAS_PX, imported, { generation });
  return prompt.trim().length === 0 ? collage : { ...collage, document: { ...collage.document, prompt } };
}

function toLayer(layer: DemoLayer, source: RgbaImage): ImportedLayer {
  const { position, scale, rotation } = layer.transform;
  const polygon = layer.polygon ?? [];
  const image = polygon.length >= 3 ? cutOut(source, polygon) : source;
  return {
    name: layer.textPrompt ?? layer.text_prompt ?? 'layer',
    image,
    fields: {
      x: Math.trunc(DEMO_CANVAS_PX * position.x),
      y: Math.trunc(DEMO_CANVAS_PX * position.y),
      scale: DEMO_CANVAS_PX * scale,
      rotation: rotation === undefined || rotation === 0 ? 0 : -rotation,
      ...(layer.noiseStrength === undefined ? {} : { noise: layer.noiseStrength }),
      ...(layer.cacStrength === undefined && layer.negativeStrength === undefined
        ? {}
        : { attention: { ...(layer.cacStrength === undefined ? {} : { positive: layer.cacStrength }), ...(layer.negativeStrength === undefined ? {} : { negative: layer.negativeStrength }) } }),
      ...(layer.cannyStrength === undefined ? {} : { canny: layer.cannyStrength }),
    },
  };
}

/** The source with alpha multiplied by the polygon's coverage (polygon normalised to the source size). */
function cutOut(source: RgbaImage, polygon: readonly { x: number; y: number }[]): RgbaImage {
  const coverage = rasterizePolygon(polygon.map((p) => ({ x: p.x * source.width, y: p.y * source.height })), source.width, source.height);
  const data = new Uint8Array(source.data);
  for (let p = 0; p < coverage.length; p++) data[p * 4 + 3] = Math.round(data[p * 4 + 3]! * coverage[p]!);
  return { width: source.width, height: source.height, data };
}

async function loadDemoImage(layer: DemoLayer, baseDir: string, where: string, problems: Problem[]): Promise<RgbaImage | undefined> {
  const url = layer.originalImgUrl ?? layer.original_img_url;
  if (url === undefined) {
    problems.push({ what: 'the layer has no originalImgUrl', where, fix: 'give the path of the layer image' });
    return undefined;
  }
  if (/^https?:\/\//i.test(url)) {
    problems.push({ what: `"${url}" is a remote URL; collage-diffusion reads no network`, where, fix: 'download the image and put its local path (relative to the JSON file) in originalImgUrl' });
    return undefined;
  }
  try {
    const path = url.replace(/^file:\/\//, '');
    const bytes = url.startsWith('data:') ? dataUriBytes(url) : await readFile(isAbsolute(path) ? path : resolve(baseDir, path));
    return await decodeLayerImage(bytes, where);
  } catch (e) {
    problems.push({ what: `cannot read the image ${url.slice(0, 60)} (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`, where, fix: 'give the path of a PNG/JPEG/WebP relative to the JSON file' });
    return undefined;
  }
}

function dataUriBytes(uri: string): Uint8Array {
  const comma = uri.indexOf(',');
  if (comma < 0 || !/;base64$/.test(uri.slice(0, comma))) throw new Error('not a base64 data URI');
  return new Uint8Array(Buffer.from(uri.slice(comma + 1), 'base64'));
}
