// The benchmark's model-based methods (world.md "Benchmark cases", method.md §9): text-to-image, SDEdit, and
// Collage Diffusion with its mechanisms added one by one. They share one model per process, loaded on first use.
// Settings (`eval --set key=value`): model (default embedded), steps (default 20), seed offset (default 0),
// inversion-steps (default: the model's inversion defaults). Every method but txt2img reads the document's
// layers[].noise, so `eval --methods sdedit@0.6` runs it at strength 0.6 (eval/method-variants.ts).
import { createHash } from 'node:crypto';
import { imageToCanvas, loadCollageImages, parseCollageDocument, type RgbaImage } from '../collage/index.ts';
import { InputError } from '../errors.ts';
import { registerEvalMethod, type MethodInput, type MethodContext, type RecordedSettings } from '../eval/index.ts';
import { pngDataUri } from '../io/index.ts';
import { generate, type GenerateOptions } from '../method/index.ts';
import type { StableDiffusion } from '../models/index.ts';
import { toRgbaBytes, type RgbImage } from '../world/index.ts';
import { EMBEDDED_MODEL, loadModel } from './model-option.ts';

/** Each method is a set of switches of `generate`. */
const MODEL_METHODS: readonly { id: string; description: string; switches: GenerateOptions }[] = [
  { id: 'txt2img', description: 'text-to-image of the scene text (no collage)', switches: { txt2img: true, inversion: false, attentionMask: false } },
  { id: 'sdedit', description: 'SDEdit: the composite noised uniformly to s_max and denoised', switches: { uniformNoise: true, inversion: false, attentionMask: false } },
  { id: 'cd-attention', description: 'Collage Diffusion, attention masking only (uniform noise, no inversion)', switches: { uniformNoise: true, inversion: false } },
  { id: 'cd-attention-inversion', description: 'Collage Diffusion, attention masking + textual inversion (uniform noise)', switches: { uniformNoise: true } },
  { id: 'collage-diffusion', description: 'Collage Diffusion, all three mechanisms (+ per-layer noise)', switches: {} },
];

const models = new Map<string, Promise<StableDiffusion>>();

function modelFor(spec: string): Promise<StableDiffusion> {
  let model = models.get(spec);
  if (!model) {
    model = loadModel(spec);
    models.set(spec, model);
  }
  return model;
}

/**
 * What a model method's output depends on, recorded with each result (a resumed run must match it): the model and
 * its weights (hash of path, size and mtime of each weights file, as the graph cache keys them), steps, seed offset,
 * and for methods with inversion the inversion steps.
 */
async function modelSettings(settings: Readonly<Record<string, string>>, inversion: boolean): Promise<RecordedSettings> {
  const spec = settings['model'] ?? EMBEDDED_MODEL;
  const model = await modelFor(spec);
  const identity = [model.textEncoderPart, model.unetPart, model.vaePart].map((p) => p.identity).join('+');
  return {
    model: spec,
    weights: createHash('sha256').update(identity).digest('hex').slice(0, 16),
    steps: integerSetting(settings, 'steps', 20),
    seed: integerSetting(settings, 'seed', 0),
    ...(inversion ? { 'inversion-steps': settings['inversion-steps'] === undefined ? 'model default' : integerSetting(settings, 'inversion-steps', 250) } : {}),
  };
}

function integerSetting(settings: Readonly<Record<string, string>>, key: string, fallback: number): number {
  const text = settings[key];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new InputError({ what: `expected a whole number ≥ 0, received "${text}"`, where: `--set ${key}`, fix: `pass e.g. --set ${key}=${fallback}` });
  return value;
}

/** The case's document with its images inline, as `generate` takes it. */
async function caseCollage(input: MethodInput) {
  const layers = await Promise.all(input.layers.map(async (l) => ({ id: l.id, uri: await pngDataUri(toRgbaBytes(l.image)) })));
  const json = {
    ...input.document,
    background: { image: await pngDataUri(toRgbaBytes(input.background)) },
    layers: input.document.layers.map((l) => ({ ...l, image: layers.find((x) => x.id === l.id)!.uri })),
  };
  const document = parseCollageDocument(json, `benchmark case ${input.index}`);
  return { document, images: await loadCollageImages(document) };
}

function toRgb(image: RgbaImage): RgbImage {
  const { width, height, rgb } = imageToCanvas(image);
  return { width, height, data: rgb };
}

/** Adds the model-based methods to the benchmark's registry. */
export function registerModelEvalMethods(): void {
  for (const m of MODEL_METHODS) {
    const inversion = m.switches.inversion !== false && m.switches.txt2img !== true;
    registerEvalMethod({
      id: m.id,
      description: m.description,
      takesNoise: m.switches.txt2img !== true,
      recordedSettings: (context) => modelSettings(context.settings, inversion),
      generate: async (input: MethodInput, context: MethodContext) => {
        const model = await modelFor(context.settings['model'] ?? EMBEDDED_MODEL);
        const collage = await caseCollage(input);
        const result = await generate(collage, model, {
          ...m.switches,
          steps: integerSetting(context.settings, 'steps', 20),
          seed: input.index + integerSetting(context.settings, 'seed', 0),
          ...(context.settings['inversion-steps'] === undefined ? {} : { inversionOptions: { steps: integerSetting(context.settings, 'inversion-steps', 250) } }),
          ...(context.signal ? { signal: context.signal } : {}),
        });
        return toRgb(result.images[0]!);
      },
    });
  }
}
