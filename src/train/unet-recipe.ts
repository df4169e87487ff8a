// Stage 2 of the embedded model (issue 11 §3): the CLIP text encoder and the UNet trained jointly on cached latents:
// epsilon prediction under SD's scaled-linear 1000-step schedule, 10% empty captions (classifier-free guidance).
// Text encoder and UNet are two graphs; the step chains them: text forward → H, UNet forward + backward → dL/dH,
// text backward of Σ H·dL/dH (exactly the chain rule). Samples: DDIM with guidance from the EMA weights.
import { EngineSession, Graph, grad, gradName } from '../engine/index.ts';
import { resolveModelConfig, type AutoencoderKLConfig, type CLIPTextConfig, type UNet2DConditionConfig } from '../io/index.ts';
import { buildClipTextModel, buildUNet, buildVaeDecoder, type WeightSource } from '../models/index.ts';
import { createScheduler, denoise, noiseSchedule, Rng as NoiseRng, type NoiseSchedule } from '../sampling/index.ts';
import { float32, int64 } from '../tensor.ts';
import type { ClipTokenizer } from '../text/index.ts';
import { captionOf, renderScene, sampleScene, sceneRng, NO_DROPOUT, type RgbImage } from '../world/index.ts';
import { imageGrid } from '../eval/index.ts';
import { initWeights } from './init-weights.ts';
import { latentBatch, type LatentBatch, type LatentCache } from './latent-cache.ts';
import { ParamStore } from './param-store.ts';
import { gaussian, imageFromChw } from './tensor-images.ts';
import type { StepOutput, TrainTask } from './trainer.ts';

/** The embedded scheduler_config.json: SD 1.x's schedule (scaled-linear betas 0.00085 → 0.012, 1000 steps), epsilon. */
export const EMBEDDED_SCHEDULER_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  _class_name: 'DDIMScheduler',
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  clip_sample: false,
  set_alpha_to_one: false,
  steps_offset: 1,
  prediction_type: 'epsilon',
  timestep_spacing: 'leading',
});

/** The embedded text encoder's config.json, less the ids that depend on the learned vocabulary. */
export const EMBEDDED_TEXT_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  _class_name: 'CLIPTextModel',
  hidden_size: 128,
  intermediate_size: 512,
  projection_dim: 128,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  max_position_embeddings: 77,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
});

/** The embedded UNet's config.json: cross-attention at every resolution (16², 8², 4² latents). */
export const EMBEDDED_UNET_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  _class_name: 'UNet2DConditionModel',
  sample_size: 16,
  in_channels: 4,
  out_channels: 4,
  down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
  up_block_types: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
  block_out_channels: [64, 128, 128],
  layers_per_block: 1,
  attention_head_dim: 4,
  cross_attention_dim: 128,
  norm_num_groups: 32,
});

/** The text config for a tokenizer's vocabulary (size, BOS/EOS/pad ids). */
export function textConfigFor(raw: Readonly<Record<string, unknown>>, tokenizer: ClipTokenizer): Readonly<Record<string, unknown>> {
  return { ...raw, vocab_size: tokenizer.vocabSize, bos_token_id: tokenizer.bosId, eos_token_id: tokenizer.eosId, pad_token_id: tokenizer.padId };
}

export interface UNetRecipeOptions {
  readonly textConfig: Readonly<Record<string, unknown>>;
  /** @default EMBEDDED_UNET_CONFIG */ readonly unetConfig?: Readonly<Record<string, unknown>>;
  readonly tokenizer: ClipTokenizer;
  readonly cache: LatentCache;
  /** For samples: the trained VAE and its scaling factor. */
  readonly vae: { readonly weights: WeightSource; readonly config: AutoencoderKLConfig; readonly scalingFactor: number };
  /** @default 16 */ readonly batchSize?: number;
  /** @default 0 */ readonly seed?: number;
}

const isText = (name: string): boolean => name.startsWith('text_model.');

/** Token ids [B, 77] of captions. */
function tokenIds(tokenizer: ClipTokenizer, captions: readonly string[]): ReturnType<typeof int64> {
  return int64([captions.length, 77], captions.flatMap((c) => tokenizer.tokenize(c, { length: 77 }).ids));
}

/** The text + UNet training task; params (text_model.* and the UNet's) initialised in one fresh store. */
export async function createUNetTask(options: UNetRecipeOptions): Promise<TrainTask<LatentBatch>> {
  const B = options.batchSize ?? 16;
  const seed = options.seed ?? 0;
  const textConfig = resolveModelConfig('CLIPTextModel', options.textConfig, 'text_encoder/config.json') as CLIPTextConfig;
  const unetConfig = resolveModelConfig('UNet2DConditionModel', options.unetConfig ?? EMBEDDED_UNET_CONFIG, 'unet/config.json') as UNet2DConditionConfig;
  const [c, h, w] = options.cache.shape;
  const params = new ParamStore('text encoder + unet');
  const unetOpts = { batch: B, heightLatPx: h, widthLatPx: w, textLength: 77 } as const;
  initWeights(params, seed, (g, s) => buildClipTextModel(g, textConfig, s, { batch: B }));
  initWeights(params, seed, (g, s) => buildUNet(g, unetConfig, s, unetOpts));
  const textWeights = params.subset(isText, 'text encoder');
  const unetWeights = params.subset((n) => !isText(n), 'unet');

  const tf = new Graph();
  buildClipTextModel(tf, textConfig, textWeights, { batch: B, trainable: true });
  const textForward = await EngineSession.create(tf);

  const tg = new Graph();
  const text = buildClipTextModel(tg, textConfig, textWeights, { batch: B, trainable: true });
  const dH = tg.input('d_hidden', 'float32', text.lastHiddenState.shape);
  const textParams = tg.values.filter((v) => v.kind === 'param' && v.trainable);
  const textGrad = await EngineSession.create(grad(tg, tg.reduceSum(tg.mul(text.lastHiddenState, dH), [0, 1, 2]), textParams));

  const ug = new Graph();
  const u = buildUNet(ug, unetConfig, unetWeights, { ...unetOpts, trainable: true });
  const target = ug.input('target', 'float32', u.noisePred.shape);
  const diff = ug.sub(u.noisePred, target);
  const unetParams = ug.values.filter((v) => v.kind === 'param' && v.trainable);
  const unetGrad = await EngineSession.create(grad(ug, ug.reduceMean(ug.mul(diff, diff), [0, 1, 2, 3]), [...unetParams, u.encoderHiddenStates]));

  const schedule = noiseSchedule({ num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' });
  const per = c * h * w;
  return {
    stage: 'unet',
    params,
    batches: (start) => {
      let next = start;
      return { next: async () => latentBatch(options.cache, next++, B), close: async () => undefined };
    },
    async step(batch, rng): Promise<StepOutput> {
      const noise = gaussian(B * per, rng);
      const timesteps = Float32Array.from({ length: B }, () => rng.int(1000));
      const sample = noisyLatents(batch.latents, noise, timesteps, schedule, per);
      const input_ids = tokenIds(options.tokenizer, batch.captions);
      const hidden = (await textForward.run({ input_ids }, ['last_hidden_state']))['last_hidden_state']!;
      const shape = [B, c, h, w];
      const uOut = await unetGrad.run({ sample: float32(shape, sample), timestep: float32([B], timesteps), encoder_hidden_states: hidden, target: float32(shape, noise) });
      const tOut = await textGrad.run({ input_ids, d_hidden: uOut[gradName(u.encoderHiddenStates)]! });
      const grads: Record<string, Float32Array> = {};
      for (const v of unetParams) grads[v.name] = uOut[gradName(v)]!.data as Float32Array;
      for (const v of textParams) grads[v.name] = tOut[gradName(v)]!.data as Float32Array;
      return { loss: uOut['loss']!.data[0] as number, grads };
    },
    sample: async (weights) => (await sampleGrid(weights, textConfig, unetConfig, options, 4)).grid,
    async close() {
      await Promise.all([textForward.release(), textGrad.release(), unetGrad.release()]);
    },
  };
}

/** x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε per batch item (DDPM eq. 4). @param latents [B, per] */
function noisyLatents(latents: Float32Array, noise: Float32Array, timesteps: Float32Array, schedule: NoiseSchedule, per: number): Float32Array {
  const out = new Float32Array(latents.length);
  timesteps.forEach((t, b) => {
    const alphaBar = schedule.alphasCumprod[t]!;
    const a = Math.sqrt(alphaBar);
    const s = Math.sqrt(1 - alphaBar);
    for (let i = b * per; i < (b + 1) * per; i++) out[i] = a * latents[i]! + s * noise[i]!;
  });
  return out;
}

/** Samples and their captions' ground-truth renders. */
export interface SampleGrid {
  readonly captions: readonly string[];
  /** Renders of eval scenes 0 … n−1 (top row) over samples for their full captions (bottom row). */
  readonly grid: RgbImage;
  readonly samples: readonly RgbImage[];
}

/**
 * Text-to-image samples of the full captions of eval scenes 0 … count−1: DDIM 25 steps, guidance 5, seed 0.
 * @param weights text_model.* and UNet weights (e.g. the EMA)
 */
export async function sampleGrid(weights: ParamStore, textConfig: CLIPTextConfig, unetConfig: UNet2DConditionConfig, options: Pick<UNetRecipeOptions, 'tokenizer' | 'cache' | 'vae'>, count: number): Promise<SampleGrid> {
  const [c, h, w] = options.cache.shape;
  const scenes = Array.from({ length: count }, (_, i) => sampleScene(sceneRng('eval', i)));
  const captions = scenes.map((s) => captionOf(s, undefined, NO_DROPOUT));
  const tg = new Graph();
  buildClipTextModel(tg, textConfig, weights.subset(isText), { batch: count, trainable: true });
  const ug = new Graph();
  buildUNet(ug, unetConfig, weights.subset((n) => !isText(n)), { batch: 2 * count, heightLatPx: h, widthLatPx: w, textLength: 77, trainable: true });
  const dg = new Graph();
  buildVaeDecoder(dg, options.vae.config, options.vae.weights, { batch: count, heightLatPx: h, widthLatPx: w, trainable: true });
  const [text, unet, decoder] = await Promise.all([EngineSession.create(tg), EngineSession.create(ug), EngineSession.create(dg)]);
  try {
    const encode = async (cs: readonly string[]) => (await text.run({ input_ids: tokenIds(options.tokenizer, cs) }, ['last_hidden_state']))['last_hidden_state'] as ReturnType<typeof float32>;
    const cond = await encode(captions);
    const uncond = await encode(captions.map(() => ''));
    const scheduler = createScheduler(EMBEDDED_SCHEDULER_CONFIG);
    scheduler.setTimesteps(25);
    const start = new NoiseRng(0).normal([count, c, h, w]).map((v) => v * scheduler.initNoiseSigma);
    const latents = await denoise(
      async (sample, context, step) => (await unet.run({ sample, timestep: float32([2 * count], new Float32Array(2 * count).fill(step.t)), encoder_hidden_states: context }, ['noise_pred']))['noise_pred'] as ReturnType<typeof float32>,
      scheduler, float32([count, c, h, w], start), cond, uncond, { guidance: 5 },
    );
    const scaled = latents.data.map((v) => v / options.vae.scalingFactor);
    const decoded = (await decoder.run({ latents: float32([count, c, h, w], scaled) }, ['sample']))['sample']!.data as Float32Array;
    const samples = scenes.map((_, b) => imageFromChw(decoded, b, h * 8));
    return { captions, samples, grid: imageGrid([scenes.map((s) => renderScene(s, h * 8)), samples]) };
  } finally {
    await Promise.all([text.release(), unet.release(), decoder.release()]);
  }
}
