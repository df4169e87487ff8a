// The one engine graph of textual inversion (method.md §5): text encoder in inputs_embeds mode → UNet (no collage
// bias) → masked denoising loss mean((ε̂ − target)² · M), differentiated by the engine's autodiff with respect to the
// token embeddings only (no weight gradients). The learned vector a enters as embeds = fixed + Σ onehot(pos) ⊗ a, so
// dL/da = Σ over the learned token's positions of dL/d inputs_embeds: a sum done in JS (`learnedGradient`).
import { grad, gradName, type EngineSession, type Graph, type Value } from '../engine/index.ts';
import type { CLIPTextConfig, UNet2DConditionConfig } from '../io/index.ts';
import { buildClipTextModel, buildUNet, type StableDiffusion, type WeightSource } from '../models/index.ts';
import { float32, type Tensor } from '../tensor.ts';

/** Graph input names. */
export const INVERSION_INPUTS = { embeds: 'inputs_embeds', sample: 'sample', timestep: 'timestep', target: 'target', mask: 'loss_mask' } as const;

/** One batch of the inversion loss, all as fed. */
export interface InversionFeeds {
  /** [B, 77, D] token embeddings with the learned vector spliced in. */
  readonly embeds: Tensor<'float32'>;
  /** [B, C, hLat, wLat] noised latents x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε. */
  readonly sample: Tensor<'float32'>;
  /** [B] training timesteps t in [0, 1000). */
  readonly timesteps: readonly number[];
  /** [B, C, hLat, wLat] ε (or v for v-prediction models). */
  readonly target: Tensor<'float32'>;
  /** [1, 1, hLat, wLat] loss mask M in [0, 1]. */
  readonly mask: Tensor<'float32'>;
}

export interface InversionLoss {
  readonly loss: number;
  /** [B, 77, D] dL/d inputs_embeds. */
  readonly gradEmbeds: Float32Array;
}

/** The configs and weights one inversion graph is built from (a StableDiffusion's parts, or random ones in benches). */
export interface InversionGraphModels {
  readonly textConfig: CLIPTextConfig;
  readonly unetConfig: UNet2DConditionConfig;
  readonly textWeights: WeightSource;
  readonly unetWeights: WeightSource;
  /** Names the model in config messages. */
  readonly path: string;
}

/**
 * Memory settings of the inversion graph's UNet, measured at SD 1.5 size, 512², batch 1 (`npm run bench inversion`;
 * "CPU" = process CPU seconds of one step on 1 thread, robust to the machine's load; ratio = vs the forward's 4.4 s).
 * Before the weight fixes below: 14.6 GiB / 22.3 s without checkpointing, 10.2 GiB / 15.7 s with it and 128 MiB
 * attention-score chunks. With INVERSION_SESSION: checkpointing every block 6.7 GiB step peak, CPU 16.2 s (3.6×);
 * only the 64² and 32² blocks CPU 16.1 s; no checkpointing, fused forward attention 7.2 GiB, CPU 13.6 s (3.0×): the
 * recompute cost more than the ~0.6 GiB of activations it saves. The score chunks stay (they bound the backward's
 * recomputed [heads, chunk, Tk] probabilities; 32 MiB chunks: no change).
 */
export const INVERSION_MEMORY = Object.freeze({ gradientCheckpointing: false, maxAttentionScoreBytes: 128 * 2 ** 20 });

/**
 * ORT settings of the inversion session (SD 1.5 size, 512², batch 1, 1 thread, steady-state step; bench/inversion.bench.ts).
 * The arena on, the memory pattern off: without the arena every run page-faulted ~3.2 GB of fresh activations (7–10 s
 * of system time on this VM); with the pattern on, its one planned block peaked at 10.5 GiB against 7.9 GiB for the
 * arena's own reuse (23.6 s). Prepacking of the linear weights up to 16 MiB only: the forward Gemm and the backward's
 * dx = dY·W MatMul each pack their own copy, and the 16² and 8² feed-forward weights (26–52 MiB each, 0.47 GB in
 * all) gain least per byte (ORT profile, packed vs not: 16² ff 55 ms, text encoder 250 ms, 64² ff 150 ms for 25 MB).
 * AVX-512 EPYC VM, paired bench: ≤ 16 MiB 2.47–2.58, 8.86–8.88 GiB; all packed 2.37–2.49, 9.29–9.30 GiB against the 9.31
 * target; none 2.49–2.62, 8.57–8.60 GiB. The NCHWc transform on: the large-output convs and their flipped-kernel
 * input-gradients run blocked (ops/conv.ts FLIPPED_CONV_GRAD_MIN_POSITIONS: 23.6 → 21.3 s, 8.66 GiB; from 16² with
 * Gelu/Silu saving only their input, 16.6 s, 8.56 GiB), the others share their stored kernel with a ConvTranspose
 * and stay unblocked (onnx.ts).
 * `fused`: the forward's attention is com.microsoft MultiHeadAttention, one node per layer as in the forward-only graph
 * (the query chunks are the backward's alone; ORT profile, step-forward vs forward self-attention: 1265 vs 1181 ms
 * with one node per chunk, 1293 vs 1305 ms now), so no [heads, T, T] probabilities are kept for the backward (it
 * recomputes them by chunks). Not kept: glibc huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, which needs a
 * relaunched process): step −3–5 %, forward ±0, peak up to 9.18 GiB. Where the rest goes (15.8 s step, ORT profile):
 * the self-attention backward at 64², 3.9 s against 1.3 s of forward, ~230 ms per [8, 1024, 4096] chunk, of which
 * the two products contracting over queries (dVᵀ, dKᵀ) take ~50 ms each against ~28 ms for the others (MLAS packs
 * their big operand per call); everything else runs its backward at 1.0–1.1× its forward, the 8² ConvTransposes at
 * 1.6×.
 */
export const INVERSION_SESSION = Object.freeze({ memoryArena: true, memoryPattern: false, prepacking: Object.freeze({ maxWeightBytes: 16 * 2 ** 20 }), fused: true });

/**
 * Builds the loss graph into `g` and returns the copy with its backward pass (outputs `loss`, `grad:inputs_embeds`);
 * with `backward: false` returns `g` itself, outputting `loss` only (benchmarks compare the two).
 */

export function buildInversionGraph(g: Graph, models: InversionGraphModels, shape: { batch: number; heightLatPx: number; widthLatPx: number; tokens: number }, backward = true, memory: { readonly gradientCheckpointing: boolean; readonly maxAttentionScoreBytes: number } = INVERSION_MEMORY): Graph {
  const { batch, heightLatPx, widthLatPx, tokens } = shape;
  const text = buildClipTextModel(g, models.textConfig, models.textWeights, { batch, tokens, input: 'inputs_embeds' });
  const unet = buildUNet(g, models.unetConfig, models.unetWeights, { batch, heightLatPx, widthLatPx, textLength: tokens, encoderHiddenStates: text.lastHiddenState, configPath: models.path, ...(backward ? memory : {}) });
  const target = g.input(INVERSION_INPUTS.target, 'float32', unet.noisePred.shape);
  const mask = g.input(INVERSION_INPUTS.mask, 'float32', [1, 1, heightLatPx, widthLatPx]);
  const diff = g.sub(unet.noisePred, target);
  const loss: Value = g.reduceMean(g.mul(g.mul(diff, diff), mask), [0, 1, 2, 3]);
  if (!backward) {
    g.output('loss', loss);
    return g;
  }
  return grad(g, loss, [text.input]);
}

/** The inversion graph's session for one batch size and latent size (built once per model, cached on disk). */
export async function inversionSession(model: StableDiffusion, batch: number, heightLatPx: number, widthLatPx: number, tokens = 77): Promise<EngineSession> {
  return model.graphSession(`inversion|${batch}|${heightLatPx}x${widthLatPx}|${tokens}`, [model.textEncoderPart, model.unetPart], (g, [text, unet]) => {
    // graphSession emits the graph it hands over; grad returns a copy, so its backward part is moved back into g.
    const models = { textConfig: model.textEncoderConfig, unetConfig: model.unetConfig, textWeights: text!, unetWeights: unet!, path: model.path };
    adoptInto(g, buildInversionGraph(g, models, { batch, heightLatPx, widthLatPx, tokens }));
  }, INVERSION_SESSION);
}

/** Runs the loss and its gradient w.r.t. the token embeddings. */
export async function runInversionLoss(session: EngineSession, feeds: InversionFeeds): Promise<InversionLoss> {
  const out = await session.run(
    {
      [INVERSION_INPUTS.embeds]: feeds.embeds,
      [INVERSION_INPUTS.sample]: feeds.sample,
      [INVERSION_INPUTS.timestep]: float32([feeds.timesteps.length], feeds.timesteps),
      [INVERSION_INPUTS.target]: feeds.target,
      [INVERSION_INPUTS.mask]: feeds.mask,
    },
    ['loss', gradName(INVERSION_INPUTS.embeds)],
  );
  return { loss: out['loss']!.data[0] as number, gradEmbeds: out[gradName(INVERSION_INPUTS.embeds)]!.data as Float32Array };
}

/**
 * dL/da: the embedding gradient summed over every position holding the learned token.
 * @param gradEmbeds [B, T, D] @param positions per batch item, the token positions of the learned token @returns [D]
 */
export function learnedGradient(gradEmbeds: Float32Array, positions: readonly (readonly number[])[], tokens: number, width: number): Float32Array {
  const out = new Float32Array(width);
  positions.forEach((list, b) => {
    for (const t of list) {
      const at = (b * tokens + t) * width;
      for (let d = 0; d < width; d++) out[d]! += gradEmbeds[at + d]!;
    }
  });
  return out;
}

/** Moves what `grad` appended to its copy (values, nodes, outputs) into the graph it was made from. */
function adoptInto(target: Graph, copy: Graph): void {
  const values = new Set(target.values.map((v) => v.id));
  for (const v of copy.values) if (!values.has(v.id)) target.values.push(v);
  const nodes = new Set(target.nodes);
  for (const n of copy.nodes) if (!nodes.has(n)) target.nodes.push(n);
  for (const [name, v] of copy.outputs) if (!target.outputs.has(name)) target.output(name, v);
  target.differentiated = true;
}
