// Per-layer textual inversion (method.md §5): for each layer with `invert: true`, learn one token embedding a_i [D]
// (names: `embedding` = a_i, `lossMask` = M, `target.rgb` = the composite of layers 0..i, `token` = <tok_i>) by
// AdamW on the masked denoising loss mean((ε̂ − ε)² · M), with gradients from the engine's autodiff through the
// text encoder and the UNet with respect to the embedding only. Learned vectors are cached (embedding-cache.ts).
//
// Differs from method.md (init from "a"): the default init is the head noun, because on the embedded model it ends
// lower at the default 250 steps (scripts/inversion-curve.ts, 6 layers of benchmark cases 0–2, the same seed and 32
// fixed evaluation (t, noise) pairs for both: held-out loss from "a" / from the head noun = 1.016 at 250 steps and
// 1.014 at 150, head noun lower in 4 of 6 layers; "a" starts 0.6 % lower and stays ahead up to ~100 steps, 0.990 at
// 50). A small margin: re-measure on SD. (The tiny random fixture models barely listen to text: 100 steps lower the
// loss by a factor ~1.0002 from either init, test/method/inversion.test.ts prints both; too little to choose by.)
// Loss: mean((ε̂ − ε)² · M) as issue 9 writes it; for the binary masks of opaque layers it equals method.md's
// mean(((ε̂ − ε) · M)²), at soft edges it weighs by M rather than M².
import { backgroundOf, compositeOver, placeDocumentLayers, resizeArea, type CollageLayer, type LayerId } from '../collage/index.ts';
import { InputError, throwIfAborted } from '../errors.ts';
import { AdamW } from '../engine/index.ts';
import { readEmbeddingFile } from '../io/index.ts';
import type { StableDiffusion } from '../models/index.ts';
import { Rng } from '../sampling/index.ts';
import type { ClipTokenizer } from '../text/index.ts';
import { embeddingCacheKey, defaultEmbeddingCacheDir, readCachedEmbedding, writeCachedEmbedding } from './embedding-cache.ts';
import { drawBatch, UniformStream } from './inversion-batch.ts';
import { inversionSettings, resolveInversionOptions, type InversionOptions, type ResolvedInversionOptions } from './inversion-options.ts';
import { InversionProblem, type InversionTarget } from './inversion-problem.ts';
import type { CollageInput } from './pipeline.ts';

/** The token a layer's embedding is bound to in prompts: "<layer id>". */
export function learnedToken(id: string): string {
  return `<${id}>`;
}

/**
 * Learned (or loaded) token embeddings of a collage's layers: layers that name an `embedding` file get its vector,
 * layers with `invert: true` get one learned (or taken from the cache), others none. Settings the caller leaves out
 * take the model's defaults (model_index.json "_collage_diffusion", e.g. the embedded model's step count), then ours.
 * @returns vector [D] per layer id
 * @throws InputError for an embedding file of another width or with several vectors; CancelledError on `signal`
 */
export async function invertLayers(collage: CollageInput, model: StableDiffusion, options: InversionOptions = {}): Promise<Map<LayerId, Float32Array>> {
  const opts = resolveInversionOptions(options, model.collageDefaults.inversion);
  const visible = collage.document.layers.filter((l) => l.visible);
  const result = new Map<LayerId, Float32Array>();
  for (const layer of visible) if (layer.embedding !== undefined) result.set(layer.id, loadLayerEmbedding(layer.embedding, model.textWidth, layer.id));
  if (!visible.some(learns)) return result;

  const tokenizer = await model.tokenizer();
  const targets = inversionTargets(collage, model.vaeScaleFactor);
  const cacheDir = opts.cacheDir ?? defaultEmbeddingCacheDir();
  for (const { layer, target } of targets) {
    throwIfAborted(opts.signal, 'textual inversion');
    const key = embeddingCacheKey({ modelIdentity: `${model.textEncoderPart.identity}+${model.unetPart.identity}+${model.vaePart.identity}`, targetRgb: target.rgb, lossMask: target.lossMask, text: layer.text, settings: inversionSettings(opts) });
    const cached = opts.cache ? readCachedEmbedding(cacheDir, key, model.textWidth) : undefined;
    if (cached) {
      opts.onProgress?.({ stage: 'invert', step: opts.steps, total: opts.steps, detail: `${layer.id}: cached` });
      result.set(layer.id, cached);
      continue;
    }
    const embedding = await invertLayer(model, tokenizer, target, opts, layer.id);
    await writeCachedEmbedding(cacheDir, key, embedding);
    result.set(layer.id, embedding);
  }
  return result;
}

/** Whether a layer learns an embedding: visible, `invert: true` and no `embedding` file. */
function learns(layer: CollageLayer): boolean {
  return layer.visible && layer.invert && layer.embedding === undefined;
}

/**
 * The inversion target of every layer that learns (visible, `invert: true`, no `embedding` file), bottom first:
 * the composite of the visible layers 0..i over the background and α_i at latent size.
 * @param vaeScaleFactor canvas px per latent px (8 for SD)
 */
export function inversionTargets(collage: CollageInput, vaeScaleFactor: number): { layer: CollageLayer; target: InversionTarget }[] {
  const { document: doc, images } = collage;
  const visible = doc.layers.filter((l) => l.visible);
  if (!visible.some(learns)) return [];
  const background = backgroundOf(doc, images);
  const placed = placeDocumentLayers(doc, images);
  const f = vaeScaleFactor;
  return visible.flatMap((layer, i) => {
    if (!learns(layer)) return [];
    const target: InversionTarget = {
      rgb: compositeOver(background, placed.slice(0, i + 1)).rgb,
      width: doc.width,
      height: doc.height,
      lossMask: resizeArea(placed[i]!.alpha, doc.width, doc.height, doc.width / f, doc.height / f),
      text: layer.text,
      token: learnedToken(layer.id),
    };
    return [{ layer, target }];
  });
}

/**
 * Called with the embedding before the first step (step 0) and after each step; the array is the live one (copy it
 * to keep it). Measurement scripts evaluate held-out losses here (scripts/inversion-curve.ts).
 */
export type InversionStepObserver = (step: number, embedding: Float32Array) => void | Promise<void>;

/**
 * Learns one layer's embedding: `steps` AdamW steps (warm-up, clipping) on batches of `batch` draws.
 * @param label names the layer in progress events
 * @param onStep sees the embedding at step 0 and after every step
 * @returns a_i [D]
 */
export async function invertLayer(model: StableDiffusion, tokenizer: ClipTokenizer, target: InversionTarget, opts: ResolvedInversionOptions, label: string, onStep?: InversionStepObserver): Promise<Float32Array> {
  const streams = inversionStreams(opts.seed, label);
  const problem = await InversionProblem.create(model, tokenizer, target, opts, streams.jitter);
  const embedding = problem.initialEmbedding(opts.init);
  const optimizer = new AdamW(new Map([['embedding', embedding]]), { lr: opts.lr, beta1: opts.beta1, beta2: opts.beta2, eps: opts.eps, weightDecay: opts.weightDecay, maxGradNorm: opts.maxGradNorm, warmupSteps: opts.warmupSteps });
  await onStep?.(0, embedding);
  const started = performance.now();
  for (let step = 1; step <= opts.steps; step++) {
    throwIfAborted(opts.signal, 'textual inversion');
    const draws = drawBatch(streams.draws, streams.noise, opts.batch, problem.latents.length, problem.schedule.alphasCumprod.length, problem.latentShape);
    const { loss, gradient } = await problem.lossAndGradient(draws, embedding);
    optimizer.update({ embedding: gradient });
    const etaS = ((performance.now() - started) / step / 1000) * (opts.steps - step);
    opts.onProgress?.({ stage: 'invert', step, total: opts.steps, detail: `${label}: loss ${loss.toFixed(4)}, ETA ${etaS.toFixed(0)} s` });
    await onStep?.(step, embedding);
  }
  return embedding;
}

/** The seeded streams of one layer: jitter factors, per-step draws (template, variant, t) and noise. */
export function inversionStreams(seed: number, label: string): { jitter: UniformStream; draws: UniformStream; noise: Rng } {
  return { jitter: new UniformStream(seed, `jitter|${label}`), draws: new UniformStream(seed, `draws|${label}`), noise: new Rng(seed).fork('invert', label) };
}

function loadLayerEmbedding(path: string, width: number, id: string): Float32Array {
  const file = readEmbeddingFile(path, width);
  if (file.vectors !== 1) {
    throw new InputError({ what: `the embedding file holds ${file.vectors} vectors; a layer takes one token`, where: `layer "${id}" → embedding (${path})`, fix: 'use a one-vector embedding, or learn one (invert: true, no embedding)' });
  }
  return file.data;
}
