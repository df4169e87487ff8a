// Training batches of the Shapes World (world.md), rendered on the fly: batch k holds training-stream scenes
// k·B … k·B + B − 1, so a run's data position is one integer (resumable) and never touches the eval stream.
// Rendering runs in a worker thread (data-worker.ts) a few batches ahead of the training step.
import { Worker } from 'node:worker_threads';
import { BugError, InputError } from '../errors.ts';
import { auxiliaryRng, captionOf, renderScene, renderSceneDetailed, sampleScene, sceneRng, type ObjectRaster } from '../world/index.ts';

/** One batch: images [B, 3, H, W] in [-1, 1] (NCHW, as the VAE takes them) and one caption per image. */
export interface TrainingBatch {
  /** Index of the batch in the stream. */
  readonly index: number;
  readonly images: Float32Array;
  /** Training captions: words dropped and 10% empty (caption.ts DEFAULT_CAPTION_DROPOUT). */
  readonly captions: readonly string[];
  /** With `BatchSpec.objectMasks`: [B, 1, H, W] object coverage in [0, 1] (max over objects, no shadows). */
  readonly objectMasks?: Float32Array;
}

export interface BatchSpec {
  /** Images per batch B. */
  readonly batchSize: number;
  /** Square image side in px (128 for the embedded model). */
  readonly sizePx: number;
  /** Also return object coverage masks (for object-weighted losses). @default false */
  readonly objectMasks?: boolean;
}

/** "capt": the auxiliary stream of caption dropout, keyed by scene index so a caption never depends on batching. */
const CAPTION_PURPOSE = 0x63617074;

/**
 * Renders batch `index` synchronously (what the worker runs).
 * @returns images [B, 3, sizePx, sizePx] in [-1, 1] and B training captions
 */
export function renderBatch(index: number, spec: BatchSpec): TrainingBatch {
  const { batchSize, sizePx } = spec;
  const plane = sizePx * sizePx;
  const images = new Float32Array(batchSize * 3 * plane);
  const captions: string[] = [];
  const masks = spec.objectMasks ? new Float32Array(batchSize * plane) : undefined;
  for (let b = 0; b < batchSize; b++) {
    const sceneIndex = index * batchSize + b;
    const scene = sampleScene(sceneRng('train', sceneIndex));
    let rgb: Float32Array; // HWC in [0, 1]
    if (masks) {
      const detailed = renderSceneDetailed(scene, sizePx, sizePx);
      rgb = detailed.image.data;
      for (const o of detailed.objects) paintCoverage(masks.subarray(b * plane, (b + 1) * plane), sizePx, o);
    } else rgb = renderScene(scene, sizePx).data;
    const base = b * 3 * plane;
    for (let p = 0; p < plane; p++) {
      images[base + p] = rgb[p * 3]! * 2 - 1;
      images[base + plane + p] = rgb[p * 3 + 1]! * 2 - 1;
      images[base + 2 * plane + p] = rgb[p * 3 + 2]! * 2 - 1;
    }
    captions.push(captionOf(scene, auxiliaryRng(sceneIndex, CAPTION_PURPOSE)));
  }
  return masks ? { index, images, captions, objectMasks: masks } : { index, images, captions };
}

/** Max-composites an object's coverage into a [size, size] mask. */
export function paintCoverage(mask: Float32Array, sizePx: number, o: ObjectRaster): void {
  for (let j = 0; j < o.height; j++) {
    for (let i = 0; i < o.width; i++) {
      const k = (o.y0 + j) * sizePx + o.x0 + i;
      mask[k] = Math.max(mask[k]!, o.coverage[j * o.width + i]!);
    }
  }
}

function checkSpec(spec: BatchSpec, prefetch: number): void {
  const problems = [];
  if (!Number.isInteger(spec.batchSize) || spec.batchSize < 1) problems.push({ what: `batchSize ${spec.batchSize} is not a positive integer`, where: 'BatchSpec.batchSize' });
  if (!Number.isInteger(spec.sizePx) || spec.sizePx < 8 || spec.sizePx % 8 !== 0) problems.push({ what: `sizePx ${spec.sizePx} is not a multiple of 8 (≥ 8)`, where: 'BatchSpec.sizePx' });
  if (!Number.isInteger(prefetch) || prefetch < 1) problems.push({ what: `prefetch ${prefetch} is not a positive integer`, where: 'BatchStream prefetch' });
  if (problems.length > 0) throw new InputError(problems);
}

// The worker is TypeScript too: it registers tsx before importing it (Node 20 workers do not inherit the parent's
// loader hooks, and `--import tsx` in a worker's execArgv does not reach its entry module).
const WORKER_BOOTSTRAP = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('./data-worker.ts', import.meta.url).href)}); });`;

/**
 * Batches `start, start + 1, …` rendered in a worker thread, `prefetch` ahead of the consumer.
 * @example
 * const stream = new BatchStream({ batchSize: 8, sizePx: 128 }, 0);
 * const batch = await stream.next();   // batch.index 0, images [8, 3, 128, 128]
 * await stream.close();
 */
export class BatchStream {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (b: TrainingBatch) => void; reject: (e: unknown) => void }>();
  private readonly ready = new Map<number, Promise<TrainingBatch>>();
  private nextIndex: number;
  private requested: number;
  private failure: unknown;

  /** @param start first batch index (a resumed run passes its saved position) @param prefetch batches rendered ahead */
  constructor(
    readonly spec: BatchSpec,
    start: number,
    private readonly prefetch = 2,
  ) {
    checkSpec(spec, prefetch);
    this.nextIndex = start;
    this.requested = start;
    this.worker = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: spec });
    this.worker.on('message', (batch: TrainingBatch) => {
      const waiter = this.pending.get(batch.index);
      this.pending.delete(batch.index);
      waiter?.resolve(batch);
    });
    this.worker.on('error', (e) => this.fail(e));
    this.fill();
  }

  private fail(e: unknown): void {
    this.failure = e;
    for (const w of this.pending.values()) w.reject(e);
    this.pending.clear();
  }

  private fill(): void {
    while (this.requested < this.nextIndex + this.prefetch) {
      const index = this.requested++;
      this.ready.set(index, new Promise((resolve, reject) => this.pending.set(index, { resolve, reject })));
      this.worker.postMessage(index);
    }
  }

  /** Index of the batch the next `next()` returns (the data position to save in a checkpoint). */
  get position(): number {
    return this.nextIndex;
  }

  /** The next batch, in order. @throws the worker's error if rendering failed */
  async next(): Promise<TrainingBatch> {
    if (this.failure !== undefined) throw this.failure;
    const index = this.nextIndex++;
    this.fill();
    const promise = this.ready.get(index);
    if (!promise) throw new BugError(`batch ${index} was never requested`);
    this.ready.delete(index);
    return promise;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
