// Collage Diffusion generation (method.md §4–§7): the story of one `generate` call, a named step each —
// validate, plan the collage, learn or load layer tokens, encode the text, choose timesteps and the start step,
// start latents, denoise with attention masking and per-pixel noise control, decode. No model work happens before
// validation and planning have passed.
import { InputError, ModelError, throwIfAborted } from '../errors.ts';
import { planCollage, type CollageDocument, type CollageImages, type CollagePlan, type RgbaImage } from '../collage/index.ts';
import type { StableDiffusion } from '../models/index.ts';
import { Rng, createScheduler, denoise, type Latents, type Scheduler, type StepInfo } from '../sampling/index.ts';
import { float32, int64, type Tensor } from '../tensor.ts';
import type { ClipTokenizer } from '../text/index.ts';
import { attentionBiasFeed } from './attention-bias.ts';
import { imageToTensor, tensorToImages } from './image-tensor.ts';
import { invertLayers, learnedToken } from './inversion.ts';
import { NoiseControl } from './noise-control.ts';
import { encodePromptWithTokens } from './prompt-embeddings.ts';
import { resolveGenerateOptions, type GenerateOptions, type ResolvedGenerateOptions } from './options.ts';
import { regenerationPlan } from './regenerate.ts';

/** A collage document with its decoded images (collage/'s `loadCollage` returns this). */
export interface CollageInput {
  readonly document: CollageDocument;
  readonly images: CollageImages;
}

/** What a generation made, and everything needed to make it again. */
export interface GenerateResult {
  /** One opaque image per variant, canvas size. */
  readonly images: readonly RgbaImage[];
  /** The seed of each image. */
  readonly seeds: readonly number[];
  /** Every resolved setting. */
  readonly options: ResolvedGenerateOptions;
  /** The planned collage (composite, masks, spans, strength map) the images came from. */
  readonly plan: CollagePlan;
}

/**
 * Generates images from a collage.
 * @throws CollageError / InputError before any model work for a bad document or option; ModelError for a size the
 *   model cannot do; CancelledError when `options.signal` fires
 */
export async function generate(collage: CollageInput, model: StableDiffusion, options: GenerateOptions = {}): Promise<GenerateResult> {
  const { plan, tokenizer, opts, learned } = await planForModel(collage, model, options);
  return generateFromPlan(plan, model, tokenizer, opts, options, learned);
}

/**
 * Re-generates chosen layers of an earlier output (method.md §7): everything else is kept.
 * @param previous an earlier output of this collage, canvas size
 * @param layerIds the visible layers to re-imagine, at their own noise strengths
 * @throws CollageError for unknown layer ids or a previous image of another size, before any model work
 */
export async function regenerate(previous: RgbaImage, collage: CollageInput, layerIds: readonly string[], model: StableDiffusion, options: GenerateOptions = {}): Promise<GenerateResult> {
  const { plan, tokenizer, opts, learned } = await planForModel(collage, model, options);
  return generateFromPlan(regenerationPlan(plan, collage, previous, layerIds), model, tokenizer, opts, options, learned);
}

/**
 * Validation and planning, then the layers' tokens: options, the size the model can do, the collage plan (with a
 * learned token before each inverted layer's words, so the 75-token limit counts them), then textual inversion
 * (method.md §5; cached per layer) or the layers' embedding files.
 */
async function planForModel(collage: CollageInput, model: StableDiffusion, options: GenerateOptions): Promise<{ plan: CollagePlan; tokenizer: ClipTokenizer; opts: ResolvedGenerateOptions; learned: Map<string, Float32Array> }> {
  const opts = resolveGenerateOptions(options, collage.document.generation);
  checkModelCanDoSize(model, collage.document);
  const tokenizer = await model.tokenizer();
  const withTokens = opts.inversion && !opts.txt2img ? collage.document.layers.filter((l) => l.visible && (l.invert || l.embedding !== undefined)) : [];
  const learnedTokens = new Map(withTokens.map((l) => [l.id as string, learnedToken(l.id)]));
  tokenizer.addTokens([...learnedTokens.values()]);
  const plan = planCollage(collage.document, collage.images, {
    latentScale: model.vaeScaleFactor,
    attentionResolutions: attentionFactors(model),
    tokenizer,
    learnedTokens,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const vectors = withTokens.length === 0 ? new Map() : await invertLayers(collage, model, { ...options.inversionOptions, seed: options.inversionOptions?.seed ?? 0, ...(options.onProgress ? { onProgress: options.onProgress } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  const learned = new Map<string, Float32Array>([...vectors].map(([id, v]) => [learnedToken(id), v]));
  return { plan, tokenizer, opts, learned };
}

/**
 * The steps after planning; `regenerate` enters here with its own plan.
 * @param learned token string ("<id>") → its embedding [D], for the tokens the plan's scene text holds
 */
export async function generateFromPlan(plan: CollagePlan, model: StableDiffusion, tokenizer: ClipTokenizer, opts: ResolvedGenerateOptions, callbacks: Pick<GenerateOptions, 'onProgress' | 'signal'> = {}, learned: ReadonlyMap<string, Float32Array> = new Map()): Promise<GenerateResult> {
  const { signal, onProgress } = callbacks;
  const { cond, uncond } = await encodePrompts(model, tokenizer, plan, learned);
  throwIfAborted(signal, 'generation');

  const images: RgbaImage[] = [];
  const seeds: number[] = [];
  const compositeLatents = opts.txt2img ? undefined : await encodeComposite(model, plan);
  for (let k = 0; k < opts.n; k++) {
    const seed = opts.seed + k;
    const scheduler = makeScheduler(model, opts, plan);
    const rng = new Rng(seed);
    const shape = [1, model.latentChannels, plan.latent.height, plan.latent.width];
    const init = rng.fork('init').normalTensor(shape);
    const control = compositeLatents && new NoiseControl(compositeLatents, strengthTensor(plan, opts), scheduler, rng.fork('hold'));
    const start = control ? control.start(init) : float32(shape, init.data.map((v) => v * scheduler.initNoiseSigma));
    const latents = await denoise(unetPredictor(model, plan, opts), scheduler, start, cond, uncond, {
      guidance: opts.guidance,
      noise: rng.fork('sampler'),
      ...(control ? { afterStep: (x: Latents, step: StepInfo) => control.afterStep(x, step.t) } : {}),
      preview: opts.preview,
      ...(onProgress ? { onProgress } : {}),
      ...(signal ? { signal } : {}),
    });
    onProgress?.({ stage: 'decode', step: k + 1, total: opts.n });
    images.push(...(await decodeLatents(model, latents)));
    seeds.push(seed);
  }
  return { images, seeds, options: opts, plan };
}

/** Attention resolutions of the model's UNet as downscale factors of the latent: 1, 2, 4, … per level. */
function attentionFactors(model: StableDiffusion): number[] {
  return model.unetConfig.block_out_channels.map((_, i) => 2 ** i);
}

/**
 * The UNet halves the latent once per level after the first, and the VAE scales by its factor: the canvas must
 * be a multiple of both. @throws ModelError naming the nearest sizes that work
 */
export function checkModelCanDoSize(model: StableDiffusion, doc: CollageDocument): void {
  const multiple = model.vaeScaleFactor * 2 ** (model.unetConfig.block_out_channels.length - 1);
  for (const [key, value] of [['width', doc.width], ['height', doc.height]] as const) {
    if (value % multiple !== 0) {
      const lo = Math.max(multiple, Math.floor(value / multiple) * multiple);
      throw new ModelError({ what: `${key} ${value} is not a multiple of ${multiple}, which this model needs`, where: `${doc.where} → ${key}`, fix: `use ${lo} or ${lo + multiple}` });
    }
  }
}

/** Conditional (scene text, learned tokens spliced in) and unconditional (negative prompt) embeddings, [1, 77, D] each. */
async function encodePrompts(model: StableDiffusion, tokenizer: ClipTokenizer, plan: CollagePlan, learned: ReadonlyMap<string, Float32Array>): Promise<{ cond: Tensor<'float32'>; uncond: Tensor<'float32'> }> {
  if (learned.size > 0) {
    const cond = await encodePromptWithTokens(model, tokenizer, plan.sceneText, learned);
    const { promptEmbeds: uncond } = await model.encodeText(int64([1, 77], tokenizer.tokenize(plan.negativePrompt).ids));
    return { cond, uncond };
  }
  const ids = [plan.tokens?.ids ?? tokenizer.tokenize(plan.sceneText).ids, tokenizer.tokenize(plan.negativePrompt).ids];
  const length = ids[0]!.length;
  const { promptEmbeds } = await model.encodeText(int64([2, length], [...ids[0]!, ...ids[1]!]));
  const half = promptEmbeds.data.length / 2;
  const shape = [1, ...promptEmbeds.shape.slice(1)];
  return { cond: float32(shape, promptEmbeds.data.slice(0, half)), uncond: float32(shape, promptEmbeds.data.slice(half)) };
}

/** x0 = scaling_factor · VAE mean of the composite, [1, C, hLat, wLat]. */
async function encodeComposite(model: StableDiffusion, plan: CollagePlan): Promise<Latents> {
  const { mean } = await model.vaeEncode(imageToTensor(plan.composite));
  return float32(mean.shape, mean.data.map((v) => v * model.scalingFactor));
}

async function decodeLatents(model: StableDiffusion, latents: Latents): Promise<RgbaImage[]> {
  const decoded = await model.vaeDecode(float32(latents.shape, latents.data.map((v) => v / model.scalingFactor)));
  return tensorToImages(decoded);
}

/** The scheduler of one variant, started at s_max (SDEdit start) unless text-to-image. */
function makeScheduler(model: StableDiffusion, opts: ResolvedGenerateOptions, plan: CollagePlan): Scheduler {
  const scheduler = createScheduler(opts.scheduler, model.schedulerConfig);
  scheduler.setTimesteps(opts.steps, opts.txt2img ? {} : { strength: plan.noiseStrength.sMax });
  if (scheduler.timesteps.length === 0) {
    throw new InputError({ what: `noise strength ${plan.noiseStrength.sMax} leaves no denoising step out of ${opts.steps}`, where: 'layers[].noise', fix: 'raise the noise of at least one layer, or the step count' });
  }
  return scheduler;
}

/** s(p) at latent size: the planned map, or s_max everywhere for the SDEdit baseline. */
function strengthTensor(plan: CollagePlan, opts: ResolvedGenerateOptions): Tensor<'float32'> {
  const { latent, sMax } = plan.noiseStrength;
  const data = opts.uniformNoise ? new Float32Array(latent.length).fill(sMax) : latent;
  return float32([plan.latent.height, plan.latent.width], data);
}

/** The UNet call of one step, with the collage bias of the current sigma on the conditional half. */
function unetPredictor(model: StableDiffusion, plan: CollagePlan, opts: ResolvedGenerateOptions) {
  return async (sample: Latents, context: Tensor<'float32'>, step: StepInfo, conditionalFrom: number): Promise<Latents> => {
    const bias = opts.attentionMask && !opts.txt2img ? attentionBiasFeed(plan, step.sigma, opts.biasSchedule) : undefined;
    const batch = sample.shape[0]!;
    return model.unet({
      sample,
      timestep: step.t,
      encoderHiddenStates: context,
      ...(bias ? { collageBias: bias, conditional: Array.from({ length: batch }, (_, i) => i >= conditionalFrom) } : {}),
    });
  };
}
