// The server's view of image generation: one injectable function (the real pipeline, or the preview generator
// below for tests and until the pipeline is wired), so routes and the queue never depend on a model.
import { planCollage, type CollageDocument, type CollageImages, type RgbaImage } from '../collage/index.ts';
import { throwIfAborted } from '../errors.ts';
import type { ProgressEvent } from '../progress.ts';

/** What one generation job asks for. */
export interface GenerationRequest {
  readonly document: CollageDocument;
  readonly images: CollageImages;
  readonly options: {
    readonly seed?: number;
    readonly steps?: number;
    /** Images to make. @default 1 */
    readonly n?: number;
    /** Layer ids to re-generate (method.md §7); the rest is kept from previousImage. */
    readonly regenerate?: readonly string[];
    /** The result being re-generated, [H, W] RGBA at the document's size. */
    readonly previousImage?: RgbaImage;
  };
}

/** Generates `n` images; reports progress; throws CancelledError when `signal` fires. */
export type Generator = (
  req: GenerationRequest,
  onProgress: (e: ProgressEvent) => void,
  signal: AbortSignal,
) => Promise<{ images: RgbaImage[]; record: Record<string, unknown> }>;

export interface PreviewGeneratorOptions {
  /** Fake denoising steps when the request gives none. @default 4 */
  readonly steps?: number;
  /** Wait per step, ms: lets tests cancel mid-job. @default 25 */
  readonly stepMs?: number;
}

/**
 * A generator without a model: returns the collage composite (for a re-generation: the composite where the chosen
 * layers are visible, the previous image elsewhere), after a few progress steps with 64 px previews.
 */
export function createPreviewGenerator(options: PreviewGeneratorOptions = {}): Generator {
  const stepMs = options.stepMs ?? 25;
  return async (req, onProgress, signal) => {
    const steps = req.options.steps ?? options.steps ?? 4;
    const plan = planCollage(req.document, req.images, { signal });
    const target = regenerationBlend(plan.composite, plan.layers, req.options);
    const images: RgbaImage[] = [];
    for (let k = 0; k < (req.options.n ?? 1); k++) {
      for (let step = 1; step <= steps; step++) {
        throwIfAborted(signal, 'generation');
        await new Promise((resolve) => setTimeout(resolve, stepMs));
        throwIfAborted(signal, 'generation');
        onProgress({ stage: 'denoise', step, total: steps, detail: `image ${k + 1}`, preview: thumbnail(target, 64, step / steps) });
      }
      images.push(target);
    }
    return { images, record: { generator: 'preview (composite, no model)', steps, sceneText: plan.sceneText } };
  };
}

function regenerationBlend(
  composite: RgbaImage,
  layers: readonly { readonly id: string; readonly visibleMask: Float32Array }[],
  options: GenerationRequest['options'],
): RgbaImage {
  const previous = options.previousImage;
  const chosen = new Set(options.regenerate ?? []);
  if (previous === undefined || chosen.size === 0) return composite;
  if (previous.width !== composite.width || previous.height !== composite.height) return composite;
  const data = new Uint8Array(previous.data);
  const n = composite.width * composite.height;
  for (const layer of layers) {
    if (!chosen.has(layer.id)) continue;
    for (let p = 0; p < n; p++) {
      const m = layer.visibleMask[p]!;
      if (m === 0) continue;
      for (let c = 0; c < 3; c++) data[p * 4 + c] = Math.round(m * composite.data[p * 4 + c]! + (1 - m) * data[p * 4 + c]!);
    }
  }
  return { width: composite.width, height: composite.height, data };
}

/** Nearest-neighbour thumbnail, its longer side `size` px, faded towards grey by (1 − amount). */
export function thumbnail(image: RgbaImage, size: number, amount = 1): RgbaImage {
  const scale = size / Math.max(image.width, image.height);
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor(y / scale));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor(x / scale));
      const s = (sy * image.width + sx) * 4;
      const d = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) data[d + c] = Math.round(amount * image.data[s + c]! + (1 - amount) * 128);
      data[d + 3] = 255;
    }
  }
  return { width, height, data };
}
