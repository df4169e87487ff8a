// One layer's textual-inversion problem (method.md §5), ready to optimise: the target latents (jittered copies of the
// composite of layers 0..i, VAE mean × scaling_factor), the loss mask, the learned token, the training schedule and
// the loss graph's session. `lossAndGradient` is the objective; inversion.ts runs AdamW on it.
import { InputError } from '../errors.ts';
import type { StableDiffusion } from '../models/index.ts';
import { noiseSchedule, type BetaSchedule } from '../sampling/index.ts';
import { float32 } from '../tensor.ts';
import type { ClipTokenizer } from '../text/index.ts';
import { caption, jitterColours, rgbToImageTensor, type ItemDraw, type UniformStream } from './inversion-batch.ts';
import { inversionSession, learnedGradient, runInversionLoss, type InversionFeeds } from './inversion-graph.ts';
import type { InversionInit, InversionSettings } from './inversion-options.ts';
import { embedTokens, tokenEmbeddingTable } from './prompt-embeddings.ts';

/** The target of one layer at canvas size. */
export interface InversionTarget {
  /** [H*W*3] the composite of layers 0..i over the background, in [0, 1]. */
  readonly rgb: Float32Array;
  readonly width: number;
  readonly height: number;
  /** [hLat*wLat] α_i at latent size: the loss mask M. */
  readonly lossMask: Float32Array;
  /** The layer's words, filled into the templates after the learned token. */
  readonly text: string;
  /** The learned token string, e.g. "<car>". */
  readonly token: string;
}

/** The training noise schedule's ᾱ_t and what the UNet predicts, from the model's scheduler_config.json. */
export interface TrainingSchedule {
  readonly alphasCumprod: Float32Array;
  readonly prediction: 'epsilon' | 'v_prediction';
}

/** Reads the training (DDPM) schedule of a scheduler config (diffusers' defaults for absent keys). */
export function trainingSchedule(config: Readonly<Record<string, unknown>>): TrainingSchedule {
  const num = (key: string, fallback: number): number => (typeof config[key] === 'number' ? (config[key] as number) : fallback);
  const betas = Array.isArray(config['trained_betas']) ? (config['trained_betas'] as number[]) : undefined;
  const schedule = noiseSchedule({
    num_train_timesteps: num('num_train_timesteps', 1000),
    beta_start: num('beta_start', 0.0001),
    beta_end: num('beta_end', 0.02),
    beta_schedule: (typeof config['beta_schedule'] === 'string' ? config['beta_schedule'] : 'linear') as BetaSchedule,
    ...(betas ? { trained_betas: betas } : {}),
  });
  return { alphasCumprod: schedule.alphasCumprod, prediction: config['prediction_type'] === 'v_prediction' ? 'v_prediction' : 'epsilon' };
}

/** A layer's objective: masked denoising loss of a batch of draws, and its gradient w.r.t. the learned vector. */
export class InversionProblem {
  private constructor(
    readonly model: StableDiffusion,
    private readonly tokenizer: ClipTokenizer,
    /** Id of the learned token in the tokenizer. */
    readonly tokenId: number,
    readonly target: InversionTarget,
    /** Per target variant, [C·hLat·wLat] latents x0. */
    readonly latents: readonly Float32Array[],
    readonly latentShape: readonly [number, number, number],
    readonly schedule: TrainingSchedule,
    /** Draws per loss evaluation (the session's batch size). */
    readonly batch: number,
  ) {}

  /**
   * Encodes `variants` colour-jittered copies of the target (the first one unjittered when variants > 1 is not
   * assumed: every copy is drawn from `jitter`) and opens the loss session.
   */
  static async create(model: StableDiffusion, tokenizer: ClipTokenizer, target: InversionTarget, settings: Pick<InversionSettings, 'batch' | 'brightness' | 'contrast' | 'targetVariants'>, jitter: UniformStream): Promise<InversionProblem> {
    const [tokenId] = tokenizer.addTokens([target.token]);
    const f = model.vaeScaleFactor;
    const latentShape = [model.latentChannels, target.height / f, target.width / f] as const;
    const latents: Float32Array[] = [];
    // Differs from the official code: the VAE encodes a fixed pool of jittered targets once, not every batch item,
    // because at 512² a VAE encode costs about as much as the UNet step it feeds.
    for (let k = 0; k < settings.targetVariants; k++) {
      const b = 1 + settings.brightness * (2 * jitter.next() - 1);
      const c = 1 + settings.contrast * (2 * jitter.next() - 1);
      const { mean } = await model.vaeEncode(rgbToImageTensor(jitterColours(target.rgb, b, c), target.width, target.height));
      latents.push(mean.data.map((v) => v * model.scalingFactor));
    }
    await inversionSession(model, settings.batch, latentShape[1], latentShape[2]);
    return new InversionProblem(model, tokenizer, tokenId!, target, latents, latentShape, trainingSchedule(model.schedulerConfig), settings.batch);
  }

  /** The initial vector [D]: the embedding of "a", or the mean embedding of the tokens of the text's last word. */
  initialEmbedding(init: InversionInit): Float32Array {
    const words = this.target.text.trim().split(/\s+/);
    const word = init === 'a' ? 'a' : (words[words.length - 1] ?? 'a');
    const { ids } = this.tokenizer.encode(word);
    const table = tokenEmbeddingTable(this.model);
    const width = this.model.textWidth;
    const out = new Float32Array(width);
    for (const id of ids) for (let d = 0; d < width; d++) out[d]! += table[id * width + d]! / ids.length;
    return out;
  }

  /** The fed tensors of a batch of draws with `embedding` spliced in, and where the learned token sits per item. */
  feeds(draws: readonly ItemDraw[], embedding: Float32Array): { feeds: InversionFeeds; positions: number[][] } {
    const width = this.model.textWidth;
    const [channels, h, w] = this.latentShape;
    const size = channels * h * w;
    const batch = draws.length;
    const embeds = new Float32Array(batch * 77 * width);
    const sample = new Float32Array(batch * size);
    const target = new Float32Array(batch * size);
    const learned = new Map([[this.tokenId, embedding]]);
    const positions = draws.map((draw, b) => {
      const { ids } = this.tokenizer.tokenize(caption(draw.template, this.target.token, this.target.text));
      embedTokens(this.model, ids, learned, embeds, b * 77 * width);
      const at = ids.flatMap((id, t) => (id === this.tokenId ? [t] : []));
      if (at.length === 0) throw new InputError({ what: `the caption "${caption(draw.template, this.target.token, this.target.text)}" is over 75 tokens and loses the learned token`, where: `layer text "${this.target.text}"`, fix: 'shorten the layer text' });
      const abar = this.schedule.alphasCumprod[draw.t]!;
      const [sa, sb] = [Math.sqrt(abar), Math.sqrt(1 - abar)];
      const x0 = this.latents[draw.variant]!;
      for (let i = 0; i < size; i++) {
        const eps = draw.noise[i]!;
        sample[b * size + i] = sa * x0[i]! + sb * eps;
        target[b * size + i] = this.schedule.prediction === 'epsilon' ? eps : sa * eps - sb * x0[i]!;
      }
      return at;
    });
    const shape = [batch, channels, h, w];
    return {
      feeds: { embeds: float32([batch, 77, width], embeds), sample: float32(shape, sample), timesteps: draws.map((d) => d.t), target: float32(shape, target), mask: float32([1, 1, h, w], this.target.lossMask) },
      positions,
    };
  }

  /**
   * The masked loss of a batch (exactly `batch` draws) and dL/d embedding [D].
   * @throws InputError when the number of draws is not the problem's batch size
   */
  async lossAndGradient(draws: readonly ItemDraw[], embedding: Float32Array): Promise<{ loss: number; gradient: Float32Array }> {
    if (draws.length !== this.batch) throw new InputError({ what: `${draws.length} draws for a batch of ${this.batch}`, where: 'InversionProblem.lossAndGradient', fix: `pass ${this.batch} draws` });
    const [, h, w] = this.latentShape;
    const session = await inversionSession(this.model, this.batch, h, w);
    const { feeds, positions } = this.feeds(draws, embedding);
    const { loss, gradEmbeds } = await runInversionLoss(session, feeds);
    return { loss, gradient: learnedGradient(gradEmbeds, positions, 77, this.model.textWidth) };
  }
}
