// The random parts of a textual-inversion step (method.md §5): caption templates, colour jitter of the target,
// t ~ U{0..N−1} and fresh noise, all drawn from seeded streams so the same seed replays the same batches.
import { philox4x32, type Rng } from '../sampling/index.ts';
import { float32, type Tensor } from '../tensor.ts';

/** diffusers' textual_inversion `imagenet_templates_small`, the templates the paper's code fills. */
export const CAPTION_TEMPLATES = [
  'a photo of a {}', 'a rendering of a {}', 'a cropped photo of the {}', 'the photo of a {}', 'a photo of a clean {}',
  'a photo of a dirty {}', 'a dark photo of the {}', 'a photo of my {}', 'a photo of the cool {}', 'a close-up photo of a {}',
  'a bright photo of the {}', 'a cropped photo of a {}', 'a photo of the {}', 'a good photo of the {}', 'a photo of one {}',
  'a close-up photo of the {}', 'a rendition of the {}', 'a photo of the clean {}', 'a rendition of a {}', 'a photo of a nice {}',
  'a good photo of a {}', 'a photo of the nice {}', 'a photo of the small {}', 'a photo of the weird {}', 'a photo of the large {}',
  'a photo of a cool {}', 'a photo of a small {}',
] as const;

/** Uniform numbers in [0, 1) with 53 random bits from Philox blocks of a seed and a label (sampling/'s Rng gives normals only). */
export class UniformStream {
  private counter = 0;
  private readonly key: [number, number];
  private readonly label: number;

  constructor(seed: number, label: string) {
    this.key = [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
    let hash = 0x811c9dc5;
    for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193) >>> 0;
    this.label = hash;
  }

  next(): number {
    const [w0, w1] = philox4x32([this.counter++, 0, this.label, 0x756e6966 /* "unif" */], this.key);
    return ((w0 >>> 5) * 67108864 + (w1 >>> 6)) / 9007199254740992;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }
}

/** "<tok> {layer text}" in a template. */
export function caption(template: string, token: string, text: string): string {
  return template.replace('{}', `${token} ${text}`);
}

/**
 * torchvision ColorJitter(brightness, contrast) with the factors given: x·b, clamp, then c·x + (1 − c)·mean(grey), clamp.
 * @param rgb [H*W*3] in [0, 1] @returns a new [H*W*3]
 */
export function jitterColours(rgb: Float32Array, brightnessFactor: number, contrastFactor: number): Float32Array {
  const out = new Float32Array(rgb.length);
  let grey = 0;
  for (let p = 0; p < rgb.length; p += 3) {
    for (let c = 0; c < 3; c++) out[p + c] = Math.min(1, Math.max(0, rgb[p + c]! * brightnessFactor));
    grey += 0.299 * out[p]! + 0.587 * out[p + 1]! + 0.114 * out[p + 2]!;
  }
  const mean = grey / (rgb.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, contrastFactor * out[i]! + (1 - contrastFactor) * mean));
  return out;
}

/** Canvas RGB [H*W*3] in [0, 1] → [1, 3, H, W] in [-1, 1] (the VAE's input). */
export function rgbToImageTensor(rgb: Float32Array, width: number, height: number): Tensor<'float32'> {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[c * plane + p] = rgb[p * 3 + c]! * 2 - 1;
  return float32([1, 3, height, width], out);
}

/** One batch item's draws. */
export interface ItemDraw {
  readonly template: string;
  /** Index into the target variants. */
  readonly variant: number;
  /** Training timestep in [0, N). */
  readonly t: number;
  /** [C·hLat·wLat] standard normal noise ε. */
  readonly noise: Float32Array;
}

/** Draws one step's batch: template, target variant and t from `uniforms`, ε from `noise`. */
export function drawBatch(uniforms: UniformStream, noise: Rng, batch: number, variants: number, trainTimesteps: number, latentShape: readonly number[]): ItemDraw[] {
  return Array.from({ length: batch }, () => ({
    template: CAPTION_TEMPLATES[uniforms.int(CAPTION_TEMPLATES.length)]!,
    variant: uniforms.int(variants),
    t: uniforms.int(trainTimesteps),
    noise: noise.normal(latentShape),
  }));
}
