// A Stable Diffusion model loaded once (a diffusers folder or a single-file SD 1.x checkpoint): its three configs and
// weight sources, checked together before any build, and one engine session per graph variant (built on first use,
// or loaded from the engine's disk cache), behind encodeText / unet / vaeEncode / vaeDecode.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { EngineSession, Graph, isCached, writeToCache, type SessionOptions } from '../engine/index.ts';
import { ModelError, type Problem } from '../errors.ts';
import { openStableDiffusionFolder, type AutoencoderKLConfig, type CLIPTextConfig, type CollageModelDefaults, type UNet2DConditionConfig } from '../io/index.ts';
import { float32, numel, type Tensor } from '../tensor.ts';
import { ClipTokenizer } from '../text/index.ts';
import { COLLAGE_SCALE_INPUT, collageCoefficientsInputName, LOGIT_BIAS_INPUT } from './attention.ts';
import { openCheckpoint, type CheckpointConfigs } from './checkpoint.ts';
import { buildClipTextModel, clipTextConfigProblems } from './clip-text.ts';
import { buildUNet, UNET_OUTPUT } from './unet.ts';
import { checkUNetConfig } from './unet-config.ts';
import { buildVaeDecoder, buildVaeEncoder, vaeConfigProblems, vaeScaleFactor } from './vae.ts';
import type { WeightSource } from './weights.ts';

/** runwayml/stable-diffusion-v1-5's scheduler_config.json: the schedule of single-file SD 1.x checkpoints. */
export const SD1_SCHEDULER_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  _class_name: 'PNDMScheduler',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
});

/** model_index.json `_class_name`s whose folders we run (same three models; img2img only differs in the pipeline). */
export const SUPPORTED_PIPELINES = ['StableDiffusionPipeline', 'StableDiffusionImg2ImgPipeline'] as const;

export interface StableDiffusionOptions {
  /** Graph cache folder; false = build in memory each time. @default the engine's (COLLAGE_CACHE_DIR or user cache) */
  readonly cacheDir?: string | false;
  /** ORT intra-op threads. @default all cores */
  readonly threads?: number;
  /** diffusers weights variant of a folder ('fp16' → `*.fp16.safetensors`). @default plain files */
  readonly variant?: string;
  /** Single-file checkpoints: the models' configs. @default the SD 1.x (v1-5) configs */
  readonly configs?: Partial<CheckpointConfigs>;
  /** Single-file checkpoints: a tokenizer folder (vocab.json + merges.txt). @default none (tokenizer() throws) */
  readonly tokenizerDir?: string;
}

/** One model's config and weights by diffusers name, for callers that build their own graphs (inversion, training). */
export interface ModelPart<C> {
  readonly config: C;
  readonly weights: WeightSource;
  /** Stands in for hashing every weight byte in the graph cache key (file path, size and mtime). */
  readonly identity: string;
}

/** The collage bias of one UNet call (method.md §4); `method/`'s AttentionBiasFeed fits as is. */
export interface UNetCollageBias {
  /** A [HW, 77] per attention resolution, keyed by its query count HW. */
  readonly coefficients: ReadonlyMap<number, Float32Array>;
  /** f(σ) of this step. */
  readonly biasScale: number;
}

export interface UNetCall {
  /** [B, in_channels, hLat, wLat] latents (already scaled by the scheduler's scale_model_input). */
  readonly sample: Tensor<'float32'>;
  /** The training timestep t in [0, 1000), one for all items or one per item (non-integer allowed). */
  readonly timestep: number | readonly number[];
  /** [B, 77, cross_attention_dim] text embeddings. */
  readonly encoderHiddenStates: Tensor<'float32'>;
  /** The collage bias, applied to the items `conditional` marks. @default none (a graph without bias nodes) */
  readonly collageBias?: UNetCollageBias;
  /** Per item, whether it is conditional. @default the classifier-free-guidance layout: first half unconditional */
  readonly conditional?: readonly boolean[];
  /** [B, 77] added to every cross-attention logit of key j (fixtures, masking). @default none */
  readonly keyBias?: Tensor<'float32'>;
}

export interface VaeEncoding {
  /** [B, latent_channels, hLat, wLat], unscaled (multiply by scalingFactor for the UNet). */
  readonly mean: Tensor<'float32'>;
  readonly logvar: Tensor<'float32'>;
  /** mean + exp(logvar/2)·noise when noise was given. */
  readonly sample?: Tensor<'float32'>;
}

/** Stable Diffusion's three models on the engine. Create with `StableDiffusion.load`; `release()` when done. */
export class StableDiffusion {
  private readonly sessions = new Map<string, Promise<EngineSession>>();

  private constructor(
    /** The folder or checkpoint file. */
    readonly path: string,
    readonly unetPart: ModelPart<UNet2DConditionConfig>,
    readonly vaePart: ModelPart<AutoencoderKLConfig>,
    readonly textEncoderPart: ModelPart<CLIPTextConfig>,
    private readonly tokenizerDir: string | undefined,
    /** scheduler_config.json of the folder (SD 1.5's PNDM config for a checkpoint); samplers take its betas and spacing. */
    readonly schedulerConfig: Readonly<Record<string, unknown>>,
    private readonly options: StableDiffusionOptions,
    private readonly closeSources: () => void,
    /** Our settings' defaults for this model (model_index.json "_collage_diffusion"; {} for checkpoints). */
    readonly collageDefaults: CollageModelDefaults = {},
  ) {}

  /**
   * Opens a diffusers folder (model_index.json) or a single-file SD 1.x `.safetensors` checkpoint and checks the
   * three configs together (supported blocks, UNet/text widths, latent channels) before anything is built.
   * @throws ModelError for a folder of another model family or pipeline, an unsupported config, a bad checkpoint
   */
  static async load(path: string, options: StableDiffusionOptions = {}): Promise<StableDiffusion> {
    if (isFile(path)) {
      const ckpt = openCheckpoint(path, options.configs ?? {});
      const id = fileIdentity(path);
      const sd = new StableDiffusion(
        path,
        { config: ckpt.unet, weights: ckpt.unetWeights, identity: `${id}|unet` },
        { config: ckpt.vae, weights: ckpt.vaeWeights, identity: `${id}|vae` },
        { config: ckpt.textEncoder, weights: ckpt.textEncoderWeights, identity: `${id}|text_encoder` },
        options.tokenizerDir,
        SD1_SCHEDULER_CONFIG,
        options,
        () => ckpt.close(),
      );
      checkTogether(sd, path);
      return sd;
    }
    const folder = await openStableDiffusionFolder(path, options.variant === undefined ? {} : { variant: options.variant });
    if (!(SUPPORTED_PIPELINES as readonly string[]).includes(folder.pipelineClass)) {
      throw new ModelError({ what: `is a ${folder.pipelineClass} folder; we run Stable Diffusion 1.x/2.x text-to-image folders`, where: join(path, 'model_index.json'), fix: `use a folder whose _class_name is one of ${SUPPORTED_PIPELINES.join(', ')}` });
    }
    const parts = [folder.unet, folder.vae, folder.textEncoder].map((c) => ({ source: c.openWeights(), identity: fileIdentity(c.weightsPath) }));
    const [unet, vae, text] = parts as [(typeof parts)[0], (typeof parts)[0], (typeof parts)[0]];
    const sd = new StableDiffusion(
      path,
      { config: folder.unet.config, weights: unet.source, identity: unet.identity },
      { config: folder.vae.config, weights: vae.source, identity: vae.identity },
      { config: folder.textEncoder.config, weights: text.source, identity: text.identity },
      folder.tokenizerDir,
      folder.scheduler.config,
      options,
      () => parts.forEach((p) => p.source.close()),
      folder.collageDefaults,
    );
    try {
      checkTogether(sd, path);
    } catch (e) {
      sd.closeSources();
      throw e;
    }
    return sd;
  }

  get unetConfig(): UNet2DConditionConfig {
    return this.unetPart.config;
  }
  get vaeConfig(): AutoencoderKLConfig {
    return this.vaePart.config;
  }
  get textEncoderConfig(): CLIPTextConfig {
    return this.textEncoderPart.config;
  }
  /** Image px per latent px: 2^(len(vae block_out_channels) − 1) (8 for SD). */
  get vaeScaleFactor(): number {
    return vaeScaleFactor(this.vaePart.config);
  }
  get latentChannels(): number {
    return this.vaePart.config.latent_channels;
  }
  /** Latents = scalingFactor · VAE mean (0.18215 for SD 1.x/2.x). */
  get scalingFactor(): number {
    return this.vaePart.config.scaling_factor;
  }
  /** Width D of the text embeddings (= the UNet's cross_attention_dim). */
  get textWidth(): number {
    return this.textEncoderPart.config.hidden_size;
  }

  /** The folder's tokenizer (or options.tokenizerDir for a checkpoint). @throws ModelError when there is none */
  async tokenizer(): Promise<ClipTokenizer> {
    if (this.tokenizerDir === undefined) {
      throw new ModelError({ what: 'a single-file checkpoint holds no tokenizer', where: this.path, fix: 'pass options.tokenizerDir (a folder with vocab.json and merges.txt, e.g. the tokenizer/ of stable-diffusion-v1-5)' });
    }
    return ClipTokenizer.fromFolder(this.tokenizerDir);
  }

  /**
   * Text embeddings for the UNet.
   * @param inputIds [B, 77] int64 token ids
   * @param clipSkip diffusers' clip_skip: 0 = last_hidden_state, k = final_layer_norm(hidden_states[-(k+1)]) @default 0
   * @returns promptEmbeds [B, 77, D] and pooledOutput [B, D] (at the EOS position)
   */
  async encodeText(inputIds: Tensor<'int64'>, clipSkip = 0): Promise<{ promptEmbeds: Tensor<'float32'>; pooledOutput: Tensor<'float32'> }> {
    const [batch] = inputIds.shape as [number];
    const part = this.textEncoderPart;
    const session = await this.session(`text|${batch}|${inputIds.shape[1]}|${clipSkip}`, part, (g, weights) => {
      buildClipTextModel(g, part.config, weights, { batch, tokens: inputIds.shape[1]!, clipSkip });
    });
    const out = await session.run({ input_ids: inputIds });
    return { promptEmbeds: out[clipSkip > 0 ? 'prompt_embeds' : 'last_hidden_state'] as Tensor<'float32'>, pooledOutput: out['pooler_output'] as Tensor<'float32'> };
  }

  /**
   * One UNet evaluation (diffusers' `unet(sample, t, encoder_hidden_states).sample`), with the collage bias when given.
   * @returns [B, out_channels, hLat, wLat] the model output (noise or v prediction)
   */
  async unet(call: UNetCall): Promise<Tensor<'float32'>> {
    const [batch, , height, width] = call.sample.shape as [number, number, number, number];
    const textLength = call.encoderHiddenStates.shape[1]!;
    const conditional = call.conditional ?? Array.from({ length: batch }, (_, i) => batch === 1 || i >= batch / 2);
    const bias = call.collageBias ? `collage:${conditional.map(Number).join('')}` : 'plain';
    const keyBias = call.keyBias ? `key:${call.keyBias.shape.join('x')}` : '';
    const part = this.unetPart;
    const session = await this.session(`unet|${batch}|${height}x${width}|${textLength}|${bias}|${keyBias}`, part, (g, weights) => {
      buildUNet(g, part.config, weights, {
        batch,
        heightLatPx: height,
        widthLatPx: width,
        textLength,
        configPath: this.path,
        ...(call.collageBias ? { collageBias: { conditional } } : {}),
        ...(call.keyBias ? { logitBiasShape: call.keyBias.shape } : {}),
      });
    });
    const timesteps = typeof call.timestep === 'number' ? Array<number>(batch).fill(call.timestep) : call.timestep;
    const feeds: Record<string, Tensor> = { sample: call.sample, timestep: float32([batch], timesteps), encoder_hidden_states: call.encoderHiddenStates };
    if (call.collageBias) {
      feeds[COLLAGE_SCALE_INPUT] = float32([1], [call.collageBias.biasScale]);
      // A resolution without cross-attention (e.g. a DownBlock2D level) has no input: its map is not fed.
      const inputs = new Set(session.inputNames);
      for (const [queryCount, a] of call.collageBias.coefficients) {
        const name = collageCoefficientsInputName(queryCount);
        if (inputs.has(name)) feeds[name] = float32([queryCount, textLength], a);
      }
    }
    if (call.keyBias) feeds[LOGIT_BIAS_INPUT] = call.keyBias;
    return (await session.run(feeds, [UNET_OUTPUT]))[UNET_OUTPUT] as Tensor<'float32'>;
  }

  /**
   * VAE encode: the latent distribution of images in [-1, 1], and a sample when `noise` is given.
   * @param image [B, 3, H, W] @param noise [B, latent_channels, H/f, W/f] standard normal
   */
  async vaeEncode(image: Tensor<'float32'>, noise?: Tensor<'float32'>): Promise<VaeEncoding> {
    const [batch, , heightPx, widthPx] = image.shape as [number, number, number, number];
    const part = this.vaePart;
    const session = await this.session(`vae-encode|${batch}|${heightPx}x${widthPx}|${noise ? 'sample' : 'mean'}`, part, (g, weights) => {
      buildVaeEncoder(g, part.config, weights, { batch, heightPx, widthPx, sample: noise !== undefined });
    });
    const out = await session.run(noise ? { image, noise } : { image }, noise ? ['latent_mean', 'latent_logvar', 'latent_sample'] : ['latent_mean', 'latent_logvar']);
    const result = { mean: out['latent_mean'] as Tensor<'float32'>, logvar: out['latent_logvar'] as Tensor<'float32'> };
    return out['latent_sample'] ? { ...result, sample: out['latent_sample'] as Tensor<'float32'> } : result;
  }

  /**
   * VAE decode (diffusers' `vae.decode(latents).sample`; divide UNet latents by scalingFactor first).
   * @param latents [B, latent_channels, hLat, wLat] @returns [B, 3, hLat·f, wLat·f] images in about [-1, 1]
   */
  async vaeDecode(latents: Tensor<'float32'>): Promise<Tensor<'float32'>> {
    const [batch, , heightLatPx, widthLatPx] = latents.shape as [number, number, number, number];
    const part = this.vaePart;
    const session = await this.session(`vae-decode|${batch}|${heightLatPx}x${widthLatPx}`, part, (g, weights) => {
      buildVaeDecoder(g, part.config, weights, { batch, heightLatPx, widthLatPx });
    });
    return (await session.run({ latents }, ['sample']))['sample'] as Tensor<'float32'>;
  }

  /** Releases every session and closes the weight files. */
  async release(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of await Promise.all(sessions)) await s.release();
    this.closeSources();
  }

  /**
   * The session of one graph variant, made on first use and then reused. With a cache folder the graph ORT opens is
   * built over shape-only weights: on a cache hit no weight is read at all, and on a miss the graph with the weights
   * is written to the cache and dropped first (no JS copy of a 3.4 GB UNet next to ORT's).
   */
  private session(key: string, part: ModelPart<unknown>, build: (g: Graph, weights: WeightSource) => void): Promise<EngineSession> {
    return this.graphSession(key, [part], (g, [weights]) => build(g, weights!));
  }

  /**
   * A session of a graph the caller builds over some of this model's parts (textual inversion joins the text encoder,
   * the UNet and a loss in one graph), made once per key and cached on disk like the built-in variants (same rules:
   * shape-only probe first, weights read only on a cache miss).
   * @param key unique per graph variant within this model (include every shape and option the graph depends on)
   * @param build receives the graph and the parts' weights, in the order of `parts`
   * @param session ORT settings of this variant (e.g. `memoryArena: false` for a backward pass at 512²)
   */
  graphSession(key: string, parts: readonly ModelPart<unknown>[], build: (g: Graph, weights: readonly WeightSource[]) => void, session: Pick<SessionOptions, 'memoryArena' | 'prepacking' | 'blockedConvLayout' | 'fused'> = {}): Promise<EngineSession> {
    let made = this.sessions.get(key);
    if (!made) {
      const { cacheDir, threads } = this.options;
      const options = { ...session, weightsIdentity: parts.map((p) => p.identity).join('+'), ...(cacheDir === undefined ? {} : { cacheDir }), ...(threads === undefined ? {} : { threads }) };
      const real = parts.map((p) => p.weights);
      let graph = new Graph();
      build(graph, cacheDir === false ? real : real.map(shapeOnly));
      if (cacheDir !== false && feedsShapeOnlyParams(graph)) {
        // Trainable weights are fed from their values at run time: this graph needs them read.
        graph = new Graph();
        build(graph, real);
      } else if (cacheDir !== false && !isCached(graph, options)) {
        // On a miss the real graph only writes the cache and is dropped before ORT loads: one weight copy at a time.
        const written = writeRealGraph(build, real, options);
        // A graph whose constants depend on weight values keys differently without them: open the written one.
        if (!isCached(graph, options)) graph = written;
      }
      made = EngineSession.create(graph, options);
      this.sessions.set(key, made);
      made.catch(() => this.sessions.delete(key));
    }
    return made;
  }
}

function writeRealGraph(build: (g: Graph, weights: readonly WeightSource[]) => void, weights: readonly WeightSource[], options: SessionOptions): Graph {
  const real = new Graph();
  build(real, weights);
  writeToCache(real, options);
  return real;
}

/** Whether a trainable param of `graph` holds no data (built over shapeOnly weights). */
function feedsShapeOnlyParams(graph: Graph): boolean {
  return graph.values.some((v) => v.kind === 'param' && v.trainable === true && v.data !== undefined && v.data.data.length !== numel(v.shape));
}

/** The same names and shapes, no data: enough to build a graph and find its cached model. */
function shapeOnly(source: WeightSource): WeightSource {
  return { path: source.path, names: () => source.names(), has: (n) => source.has(n), info: (n) => source.info(n), readFloat32: () => new Float32Array(0) };
}

/** The checks across models, and each model's own config checks, all at once. */
function checkTogether(sd: StableDiffusion, where: string): void {
  const problems: Problem[] = [];
  try {
    checkUNetConfig(sd.unetConfig, join(where, 'unet/config.json'));
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    problems.push(...e.problems);
  }
  problems.push(...vaeConfigProblems(sd.vaeConfig, join(where, 'vae/config.json')), ...clipTextConfigProblems(sd.textEncoderConfig, join(where, 'text_encoder/config.json')));
  const cross = sd.unetConfig.cross_attention_dim;
  const crossDims = typeof cross === 'number' ? [cross] : cross;
  if (crossDims.some((d) => d !== sd.textWidth)) {
    problems.push({ what: `unet cross_attention_dim ${JSON.stringify(cross)} does not match text_encoder hidden_size ${sd.textWidth}`, where: `${where} → unet/config.json cross_attention_dim, text_encoder/config.json hidden_size`, fix: 'use a UNet and text encoder of the same model' });
  }
  if (sd.unetConfig.in_channels !== sd.latentChannels) {
    problems.push({ what: `unet in_channels ${sd.unetConfig.in_channels} differs from vae latent_channels ${sd.latentChannels} (an inpainting or depth model?)`, where: `${where} → unet/config.json in_channels, vae/config.json latent_channels`, fix: 'use a text-to-image Stable Diffusion model' });
  }
  if (problems.length > 0) throw new ModelError(problems);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function fileIdentity(path: string): string {
  const s = statSync(path);
  return `${path}|${s.size}|${s.mtimeMs}`;
}
