// Latents of training scenes, encoded once by the trained VAE (its mean × scaling_factor), so the UNet stage pays no
// VAE encoder per step. Batch k of the UNet stage reads scenes (kB + b) mod N; each pass over the cache draws fresh
// caption dropout and flips, so epochs differ. Stored as safetensors in the run folder (resumable, atomic).
import { EngineSession, Graph } from '../engine/index.ts';
import type { AutoencoderKLConfig } from '../io/index.ts';
import { openSafetensors, writeSafetensors } from '../io/index.ts';
import { buildVaeEncoder, type WeightSource } from '../models/index.ts';
import type { ProgressCallback } from '../progress.ts';
import { float32 } from '../tensor.ts';
import { auxiliaryRng, captionOf, sampleScene, sceneRng } from '../world/index.ts';
import { existsSync } from 'node:fs';
import { BatchStream } from './data.ts';

/** Latents [N, C, hLat, wLat], already multiplied by scaling_factor. */
export interface LatentCache {
  readonly count: number;
  readonly shape: readonly [number, number, number];
  readonly latents: Float32Array;
}

/**
 * Encodes training scenes 0 … count−1 (rendered in a worker, batches of 16), or reads them from `path` when a cache
 * of that count is there, and writes it otherwise.
 * @param vae the trained VAE weights (encoder half is used)
 */
export async function latentCache(path: string, vae: WeightSource, config: AutoencoderKLConfig, scalingFactor: number, count: number, sizePx: number, onProgress?: ProgressCallback): Promise<LatentCache> {
  const lat = sizePx / 8;
  const shape = [config.latent_channels, lat, lat] as const;
  if (existsSync(path)) {
    const file = openSafetensors(path);
    try {
      if (file.metadata['count'] === String(count) && file.metadata['scaling_factor'] === String(scalingFactor)) return { count, shape, latents: file.readFloat32('latents') };
    } finally {
      file.close();
    }
  }
  const B = 16;
  const g = new Graph();
  buildVaeEncoder(g, config, vae, { batch: B, heightPx: sizePx, widthPx: sizePx });
  const encoder = await EngineSession.create(g);
  const per = shape[0] * shape[1] * shape[2];
  const latents = new Float32Array(count * per);
  const stream = new BatchStream({ batchSize: B, sizePx }, 0);
  try {
    for (let k = 0; k * B < count; k++) {
      const batch = await stream.next();
      const mean = (await encoder.run({ image: float32([B, 3, sizePx, sizePx], batch.images) }, ['latent_mean']))['latent_mean']!.data as Float32Array;
      const n = Math.min(B, count - k * B);
      for (let i = 0; i < n * per; i++) latents[k * B * per + i] = mean[i]! * scalingFactor;
      onProgress?.({ stage: 'encode', step: k * B + n, total: count, detail: 'latent cache' });
    }
  } finally {
    await stream.close();
    await encoder.release();
  }
  await writeSafetensors(path, { latents: { dtype: 'float32', shape: [count, ...shape], data: latents } }, { count: String(count), scaling_factor: String(scalingFactor) });
  return { count, shape, latents };
}

/** A UNet-stage batch: latents [B, C, hLat, wLat] (flipped at random) and their training captions. */
export interface LatentBatch {
  readonly index: number;
  readonly latents: Float32Array;
  readonly captions: readonly string[];
}

/** "capt" + epoch: caption dropout of the UNet stage, fresh each pass over the cache. */
const CAPTION_PURPOSE = 0x63617074;
const FLIP_PURPOSE = 0x666c6970;

/** Batch k of the UNet stage (a pure function of k). */
export function latentBatch(cache: LatentCache, index: number, batchSize: number): LatentBatch {
  const [c, h, w] = cache.shape;
  const per = c * h * w;
  const latents = new Float32Array(batchSize * per);
  const captions: string[] = [];
  const flips = auxiliaryRng(index, FLIP_PURPOSE);
  for (let b = 0; b < batchSize; b++) {
    const position = index * batchSize + b;
    const scene = position % cache.count;
    const epoch = Math.floor(position / cache.count);
    const src = cache.latents.subarray(scene * per, (scene + 1) * per);
    // A horizontal flip of the latents stands for a flipped render (captions say nothing of left and right).
    const flip = flips.chance(0.5);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) latents[b * per + (ch * h + y) * w + x] = src[(ch * h + y) * w + (flip ? w - 1 - x : x)]!;
      }
    }
    const rng = auxiliaryRng(scene + epoch * 0x100000, CAPTION_PURPOSE);
    captions.push(captionOf(sampleScene(sceneRng('train', scene)), rng));
  }
  return { index, latents, captions };
}
