// Stage 1b of the embedded model: the VAE decoder refined on its own, the encoder frozen. The latent space (and so
// every latent the UNet trains on) stays exactly the encoder's, while the decoder gets more steps on crops centred on
// objects: the joint stage leaves objects as colour averages (sky and ground dominate its loss), and the decoder is
// the cheaper half to keep training (no encoder backward).
import { EngineSession, Graph, grad, gradName } from '../engine/index.ts';
import type { AutoencoderKLConfig } from '../io/index.ts';
import { buildVaeDecoder, buildVaeEncoder } from '../models/index.ts';
import { float32 } from '../tensor.ts';
import { BatchStream, type TrainingBatch } from './data.ts';
import { ParamStore } from './param-store.ts';
import type { StepOutput, TrainTask } from './trainer.ts';
import { centreOnObjects, cropBatch, drawCrops, reconstructHeldOut, reconstructionLoss } from './vae-recipe.ts';

export interface VaeDecoderRecipeOptions {
  readonly config: AutoencoderKLConfig;
  /** The trained VAE (both halves): the encoder is read frozen, the decoder is the starting point. */
  readonly vae: ParamStore;
  /** @default 16 */ readonly batchSize?: number;
  /** @default 128 */ readonly sizePx?: number;
  /** @default 64 */ readonly cropPx?: number;
  /** @default 0.5 */ readonly edgeWeight?: number;
  /** Share of crops centred on an object pixel. @default 0.5 */ readonly objectCrops?: number;
}

/** Is `name` a weight of the decoder half (post_quant_conv + decoder)? */
export const isDecoderWeight = (name: string): boolean => name.startsWith('decoder.') || name.startsWith('post_quant_conv.');

/** The full VAE with the decoder taken from `decoder`: what gets measured and exported. */
export function withDecoder(vae: ParamStore, decoder: ParamStore): ParamStore {
  const out = new ParamStore('vae (refined decoder)');
  for (const [name, t] of vae.entries()) out.set(name, t.shape, isDecoderWeight(name) ? decoder.readFloat32(name) : t.data);
  return out;
}

/** The decoder-refinement task; its params are the decoder's weights only (copied from `vae`). */
export async function createVaeDecoderTask(options: VaeDecoderRecipeOptions): Promise<TrainTask<TrainingBatch>> {
  const o = { batchSize: 16, sizePx: 128, cropPx: 64, edgeWeight: 0.5, objectCrops: 0.5, ...options };
  const B = o.batchSize;
  const lat = o.cropPx / 8;
  const params = new ParamStore('vae-decoder');
  for (const [name, t] of o.vae.entries()) if (isDecoderWeight(name)) params.set(name, t.shape, t.data.slice());

  const enc = new Graph();
  buildVaeEncoder(enc, o.config, o.vae, { batch: B, heightPx: o.cropPx, widthPx: o.cropPx });
  const encoder = await EngineSession.create(enc);

  const dec = new Graph();
  const d = buildVaeDecoder(dec, o.config, params, { batch: B, heightLatPx: lat, widthLatPx: lat, trainable: true });
  const target = dec.input('target', 'float32', d.sample.shape);
  const loss = reconstructionLoss(dec, d.sample, target, o.edgeWeight);
  const trained = dec.values.filter((v) => v.kind === 'param' && v.trainable);
  const decoderGrad = await EngineSession.create(grad(dec, loss, trained));

  const imageShape = [B, 3, o.cropPx, o.cropPx];
  return {
    stage: 'vae-decoder',
    params,
    batches: (start) => new BatchStream({ batchSize: B, sizePx: o.sizePx, objectMasks: o.objectCrops > 0 }, start),
    async step(batch, rng): Promise<StepOutput> {
      const random = drawCrops(B, o.sizePx, o.cropPx, rng);
      const crops = batch.objectMasks ? centreOnObjects(random, batch.objectMasks, o.objectCrops, o.sizePx, o.cropPx, rng) : random;
      const image = float32(imageShape, cropBatch(batch.images, crops, o.sizePx, o.cropPx));
      // The mean, as the latent cache and generation decode it (no posterior sample).
      const latents = (await encoder.run({ image }, ['latent_mean']))['latent_mean']!;
      const out = await decoderGrad.run({ latents, target: image });
      const grads: Record<string, Float32Array> = {};
      for (const v of trained) grads[v.name] = out[gradName(v)]!.data as Float32Array;
      const rec = out['loss']!.data[0] as number;
      return { loss: rec, grads, metrics: { rec } };
    },
    sample: async (weights) => (await reconstructHeldOut(withDecoder(o.vae, weights), o.config, 4, o.sizePx)).grid,
    async close() {
      await Promise.all([encoder.release(), decoderGrad.release()]);
    },
  };
}
