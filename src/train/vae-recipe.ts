// Stage 1 of the embedded model (issue 11 §3): the AutoencoderKL, trained on random crops of Shapes World renders
// with a reconstruction loss (L1 + L2, optionally + an edge term on image gradients) and a small KL, then measured:
// PSNR on held-out (eval-stream) renders, and scaling_factor = 1 / std of the latents.
// The encoder and decoder are two graphs (models/vae.ts); the step chains them: encoder forward → z, decoder
// forward + backward → dL/dz, encoder backward of Σ z·dL/dz + β·KL (its gradient is exactly the full chain rule).
import { EngineSession, Graph, grad, gradName, type Value } from '../engine/index.ts';
import { resolveModelConfig, type AutoencoderKLConfig } from '../io/index.ts';
import { buildVaeDecoder, buildVaeEncoder } from '../models/index.ts';
import { float32 } from '../tensor.ts';
import { renderSceneDetailed, sampleScene, sceneRng, type ObjectRaster, type RgbImage, type Rng } from '../world/index.ts';
import { imageGrid } from '../eval/index.ts';
import { BatchStream, paintCoverage, type TrainingBatch } from './data.ts';
import { initWeights } from './init-weights.ts';
import { ParamStore } from './param-store.ts';
import { gaussian, imageFromChw, imagesToChw } from './tensor-images.ts';
import type { StepOutput, TrainTask } from './trainer.ts';

/** The embedded VAE's config.json (scaling_factor is replaced by the measured one at export). */
export const EMBEDDED_VAE_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  _class_name: 'AutoencoderKL',
  in_channels: 3,
  out_channels: 3,
  down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D'],
  up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D'],
  block_out_channels: [16, 32, 64, 64],
  layers_per_block: 1,
  act_fn: 'silu',
  latent_channels: 4,
  norm_num_groups: 8,
  sample_size: 128,
  scaling_factor: 1,
});

export interface VaeRecipeOptions {
  /** Raw config.json object. @default EMBEDDED_VAE_CONFIG */ readonly config?: Readonly<Record<string, unknown>>;
  /** Images per step. @default 16 */ readonly batchSize?: number;
  /** Rendered image side, px. @default 128 */ readonly sizePx?: number;
  /** Random crop side the VAE trains on, px (fully convolutional, so it runs at sizePx later). @default 64 */ readonly cropPx?: number;
  /** Weight of the KL term on the per-element mean KL. @default 1e-5 */ readonly klWeight?: number;
  /** Weight of the edge term (L1 between image x/y differences). @default 0 */ readonly edgeWeight?: number;
  /**
   * Pixels of objects weigh 1 + this in the L1 and L2 terms (objects cover a few % of a render, so an unweighted
   * loss learns the background first). 0 = unweighted, no masks rendered. @default 0
   */
  readonly objectWeight?: number;
  /**
   * Share of crops centred on a random object pixel (objects cover a few % of a render: random crops spend most of the
   * loss on sky and ground, and the decoder then returns objects as colour averages). @default 0
   */
  readonly objectCrops?: number;
  /** Init seed. @default 0 */ readonly seed?: number;
  /** Start from these weights (e.g. an earlier stage's EMA) instead of the seeded initialisation. */
  readonly from?: ParamStore;
}

export const DEFAULT_VAE_RECIPE_OPTIONS = Object.freeze({ config: EMBEDDED_VAE_CONFIG, batchSize: 16, sizePx: 128, cropPx: 64, klWeight: 1e-5, edgeWeight: 0, objectWeight: 0, objectCrops: 0, seed: 0 });

/** The resolved typed config of a raw VAE config.json object. */
export function vaeConfigOf(raw: Readonly<Record<string, unknown>>): AutoencoderKLConfig {
  return resolveModelConfig('AutoencoderKL', raw, 'vae/config.json') as AutoencoderKLConfig;
}

/** Mean of |a| over all elements. */
function meanAbs(g: Graph, x: Value): Value {
  return g.reduceMean(g.abs(x), x.shape.map((_, i) => i));
}

/**
 * Reconstruction loss of decoded [B, 3, H, W] vs target: L1 + L2 (+ edgeWeight · L1 of x/y differences).
 * @param pixelWeight [B, 1, H, W] weights of the L1 and L2 terms per pixel, or none (all 1)
 */
function reconstructionLoss(g: Graph, decoded: Value, target: Value, edgeWeight: number, pixelWeight?: Value): Value {
  const d = g.sub(decoded, target);
  const all = d.shape.map((_, i) => i);
  let loss = pixelWeight
    ? g.add(g.reduceMean(g.mul(g.abs(d), pixelWeight), all), g.reduceMean(g.mul(g.mul(d, d), pixelWeight), all))
    : g.add(meanAbs(g, d), g.reduceMean(g.mul(d, d), all));
  if (edgeWeight > 0) {
    const [, , h, w] = d.shape as [number, number, number, number];
    // d(x̂ − x)/dx: the edge term compares image gradients, which L1/L2 on pixels weight little.
    const dx = g.sub(g.slice(d, [3], [1], [w]), g.slice(d, [3], [0], [w - 1]));
    const dy = g.sub(g.slice(d, [2], [1], [h]), g.slice(d, [2], [0], [h - 1]));
    loss = g.add(loss, g.mul(g.add(meanAbs(g, dx), meanAbs(g, dy)), edgeWeight));
  }
  return loss;
}

interface Crop {
  readonly x0: number;
  readonly y0: number;
  readonly flip: boolean;
}

/** A random crop position and horizontal flip per image (three draws per image, in order). */
function drawCrops(batch: number, sizePx: number, cropPx: number, rng: Rng): Crop[] {
  return Array.from({ length: batch }, () => ({ x0: rng.int(sizePx - cropPx + 1), y0: rng.int(sizePx - cropPx + 1), flip: rng.chance(0.5) }));
}

/**
 * Re-centres a share of the crops on a random object pixel (coverage > 0.5) of their image, clamped to the image.
 * @param masks [B, 1, S, S] object coverage
 */
export function centreOnObjects(crops: Crop[], masks: Float32Array, share: number, sizePx: number, cropPx: number, rng: Rng): Crop[] {
  const plane = sizePx * sizePx;
  return crops.map((crop, b) => {
    if (!rng.chance(share)) return crop;
    const covered: number[] = [];
    for (let p = 0; p < plane; p++) if (masks[b * plane + p]! > 0.5) covered.push(p);
    if (covered.length === 0) return crop;
    const p = covered[rng.int(covered.length)]!;
    const clamp = (c: number): number => Math.min(sizePx - cropPx, Math.max(0, c - cropPx / 2));
    return { ...crop, x0: clamp(p % sizePx), y0: clamp(Math.floor(p / sizePx)) };
  });
}

/** Crops (and flips) a batch. @param images [B, channels, S, S] @returns [B, channels, C, C] */
function cropBatch(images: Float32Array, crops: readonly Crop[], sizePx: number, cropPx: number, channels = 3): Float32Array {
  const out = new Float32Array(crops.length * channels * cropPx * cropPx);
  crops.forEach(({ x0, y0, flip }, b) => {
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < cropPx; y++) {
        const src = ((b * channels + c) * sizePx + y0 + y) * sizePx + x0;
        const dst = ((b * channels + c) * cropPx + y) * cropPx;
        for (let x = 0; x < cropPx; x++) out[dst + x] = images[src + (flip ? cropPx - 1 - x : x)]!;
      }
    }
  });
  return out;
}

/**
 * The VAE training task: params initialised (PyTorch default, seeded) in a fresh store, three sessions built.
 * @returns the task; its `params` hold every VAE weight by diffusers name
 */
export async function createVaeTask(options: VaeRecipeOptions = {}): Promise<TrainTask<TrainingBatch>> {
  const o = { ...DEFAULT_VAE_RECIPE_OPTIONS, ...options };
  const config = vaeConfigOf(o.config);
  const B = o.batchSize;
  const lat = o.cropPx / 8;
  const params = new ParamStore('vae');
  const encOpts = { batch: B, heightPx: o.cropPx, widthPx: o.cropPx, sample: true, trainable: true } as const;
  const decOpts = { batch: B, heightLatPx: lat, widthLatPx: lat, trainable: true } as const;
  initWeights(params, o.seed, (g, s) => buildVaeEncoder(g, config, s, encOpts));
  initWeights(params, o.seed, (g, s) => buildVaeDecoder(g, config, s, decOpts));
  if (options.from) params.assign(options.from.arrays());

  const fwd = new Graph();
  buildVaeEncoder(fwd, config, params, encOpts);
  const encoderForward = await EngineSession.create(fwd);

  const dec = new Graph();
  const d = buildVaeDecoder(dec, config, params, decOpts);
  const target = dec.input('target', 'float32', d.sample.shape);
  const weighted = o.objectWeight > 0;
  const needMasks = weighted || o.objectCrops > 0;
  const pixelWeight = weighted ? dec.input('pixel_weight', 'float32', [B, 1, o.cropPx, o.cropPx]) : undefined;
  const decLoss = reconstructionLoss(dec, d.sample, target, o.edgeWeight, pixelWeight);
  const decParams = dec.values.filter((v) => v.kind === 'param' && v.trainable);
  const decoderGrad = await EngineSession.create(grad(dec, decLoss, [...decParams, d.latents]));

  const enc = new Graph();
  const e = buildVaeEncoder(enc, config, params, encOpts);
  const dz = enc.input('dz', 'float32', e.sample!.shape);
  // KL(N(μ, σ²) ‖ N(0, 1)) per element, averaged: ½(μ² + σ² − 1 − log σ²)
  const kl = enc.reduceMean(enc.mul(enc.sub(enc.sub(enc.add(enc.mul(e.mean, e.mean), e.variance), 1), e.logvar), 0.5), [0, 1, 2, 3]);
  enc.output('kl', kl);
  const encLoss = enc.add(enc.reduceSum(enc.mul(e.sample!, dz), [0, 1, 2, 3]), enc.mul(kl, o.klWeight));
  const encParams = enc.values.filter((v) => v.kind === 'param' && v.trainable);
  const encoderGrad = await EngineSession.create(grad(enc, encLoss, encParams));

  const latentShape = [B, config.latent_channels, lat, lat];
  const imageShape = [B, 3, o.cropPx, o.cropPx];
  return {
    stage: 'vae',
    params,
    batches: (start) => new BatchStream({ batchSize: B, sizePx: o.sizePx, objectMasks: needMasks }, start),
    async step(batch, rng): Promise<StepOutput> {
      const random = drawCrops(B, o.sizePx, o.cropPx, rng);
      const crops = o.objectCrops > 0 && batch.objectMasks ? centreOnObjects(random, batch.objectMasks, o.objectCrops, o.sizePx, o.cropPx, rng) : random;
      const image = float32(imageShape, cropBatch(batch.images, crops, o.sizePx, o.cropPx));
      const weights = weighted && batch.objectMasks ? { pixel_weight: float32([B, 1, o.cropPx, o.cropPx], cropBatch(batch.objectMasks, crops, o.sizePx, o.cropPx, 1).map((m) => 1 + o.objectWeight * m)) } : {};
      const noise = float32(latentShape, gaussian(latentShape[0]! * latentShape[1]! * lat * lat, rng));
      const z = (await encoderForward.run({ image, noise }, ['latent_sample']))['latent_sample']!;
      const decOut = await decoderGrad.run({ latents: z, target: image, ...weights });
      const encOut = await encoderGrad.run({ image, noise, dz: decOut[gradName(d.latents)]! });
      const grads: Record<string, Float32Array> = {};
      for (const v of decParams) grads[v.name] = decOut[gradName(v)]!.data as Float32Array;
      for (const v of encParams) grads[v.name] = encOut[gradName(v)]!.data as Float32Array;
      const rec = decOut['loss']!.data[0] as number;
      const klValue = encOut['kl']!.data[0] as number;
      return { loss: rec + o.klWeight * klValue, grads, metrics: { rec, kl: klValue } };
    },
    sample: async (weights) => (await reconstructHeldOut(weights, config, 4, o.sizePx)).grid,
    async close() {
      await Promise.all([encoderForward.release(), decoderGrad.release(), encoderGrad.release()]);
    },
  };
}

/** What the held-out measurement gives. */
export interface VaeMeasurement {
  /** Mean PSNR (dB, images in [0, 1]) over the held-out renders. */
  readonly psnrDb: number;
  /** PSNR (dB) over object pixels only (coverage > 0.5), all held-out renders pooled: what sky and ground hide. */
  readonly objectPsnrDb: number;
  /** Std of the latent means over all elements and images (scaling_factor = 1 / this). */
  readonly latentStd: number;
  /** Originals (top row) over reconstructions (bottom row), the first 8 at most. */
  readonly grid: RgbImage;
}

/**
 * Encodes (mean) and decodes `count` held-out renders (eval stream 0 … count−1) with `weights`.
 * @param count images, a multiple of 4 (the graphs' batch)
 */
export async function reconstructHeldOut(weights: ParamStore, config: AutoencoderKLConfig, count: number, sizePx = 128): Promise<VaeMeasurement> {
  const B = 4;
  const lat = sizePx / 8;
  const ge = new Graph();
  buildVaeEncoder(ge, config, weights, { batch: B, heightPx: sizePx, widthPx: sizePx, trainable: true });
  const gd = new Graph();
  buildVaeDecoder(gd, config, weights, { batch: B, heightLatPx: lat, widthLatPx: lat, trainable: true });
  const [encoder, decoder] = await Promise.all([EngineSession.create(ge), EngineSession.create(gd)]);
  let psnrSum = 0;
  let objectSe = 0;
  let objectCount = 0;
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  const originals: RgbImage[] = [];
  const recons: RgbImage[] = [];
  try {
    for (let first = 0; first < count; first += B) {
      const detailed = Array.from({ length: B }, (_, b) => renderSceneDetailed(sampleScene(sceneRng('eval', first + b)), sizePx, sizePx));
      const renders = detailed.map((d) => d.image);
      const image = float32([B, 3, sizePx, sizePx], imagesToChw(renders));
      const mean = (await encoder.run({ image }, ['latent_mean']))['latent_mean']!;
      for (const v of mean.data as Float32Array) {
        sum += v;
        sumSq += v * v;
        n++;
      }
      const decoded = (await decoder.run({ latents: mean }, ['sample']))['sample']!.data as Float32Array;
      renders.forEach((r, b) => {
        const recon = imageFromChw(decoded, b, sizePx);
        psnrSum += psnr(r, recon);
        const coverage = objectCoverage(detailed[b]!.objects, sizePx);
        for (let p = 0; p < coverage.length; p++) {
          if (coverage[p]! <= 0.5) continue;
          for (let c = 0; c < 3; c++) objectSe += (r.data[p * 3 + c]! - Math.min(1, Math.max(0, recon.data[p * 3 + c]!))) ** 2;
          objectCount += 3;
        }
        if (originals.length < 8) {
          originals.push(r);
          recons.push(recon);
        }
      });
    }
  } finally {
    await Promise.all([encoder.release(), decoder.release()]);
  }
  const m = sum / n;
  return { psnrDb: psnrSum / count, objectPsnrDb: 10 * Math.log10(objectCount / Math.max(objectSe, 1e-12)), latentStd: Math.sqrt(sumSq / n - m * m), grid: imageGrid([originals, recons]) };
}

/** Max over objects of their coverage, [size²] row-major. */
function objectCoverage(objects: readonly ObjectRaster[], sizePx: number): Float32Array {
  const mask = new Float32Array(sizePx * sizePx);
  for (const o of objects) paintCoverage(mask, sizePx, o);
  return mask;
}

/** PSNR in dB of two [0, 1] images, after clamping the reconstruction to [0, 1]. */
export function psnr(a: RgbImage, b: RgbImage): number {
  let se = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i]! - Math.min(1, Math.max(0, b.data[i]!));
    se += d * d;
  }
  return 10 * Math.log10(1 / Math.max(se / a.data.length, 1e-12));
}
