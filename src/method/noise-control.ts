// Per-layer noise control, per-pixel SDEdit (method.md §6): every latent pixel of strength s is held to the noised
// composite until the sampler's timestep drops below 1000·s, then denoised freely.
//
// Symbols: `strength` = s(p) (latent size, nearest-resized from the blurred image map), `sMax` = s_max,
// `compositeLatents` = x0 = scaling_factor · VAE.encode(composite), `held` = keep (dilated by int(4t/1000)).
import { BugError } from '../errors.ts';
import { heldMask } from '../collage/index.ts';
import type { Latents, NoiseSource, Scheduler } from '../sampling/index.ts';
import { float32, type Tensor } from '../tensor.ts';

/**
 * Holds pixels to the noised composite after every scheduler step.
 * Usage: `x = control.start(noise)`; in the loop after `x = scheduler.step(...).prevSample`, `x = control.afterStep(x, t)`.
 */
export class NoiseControl {
  /** Held latent pixels at the last step, for inspection and tests ([hLat*wLat], 1 = held). */
  lastHeld: Float32Array | undefined;

  /**
   * @param compositeLatents x0 [B, C, hLat, wLat] (B copies of the encoded composite)
   * @param strength s(p) [hLat, wLat] in [0, 1]
   * @param scheduler the scheduler the loop drives (after setTimesteps with strength = s_max)
   * @param freshNoise the stream of fresh noise for every hold (method.md §6: fresh ε each step); never the sampler's stream
   */
  constructor(
    readonly compositeLatents: Latents,
    readonly strength: Tensor<'float32'>,
    readonly scheduler: Scheduler,
    private readonly freshNoise: NoiseSource,
  ) {
    const [, , h, w] = compositeLatents.shape;
    if (strength.shape[0] !== h || strength.shape[1] !== w) {
      throw new BugError(`strength map [${strength.shape.join(', ')}] does not match latents [${compositeLatents.shape.join(', ')}]`);
    }
  }

  /** SDEdit start at s_max: x = add_noise(x0, ε, t_start), with the caller's initial noise ε. */
  start(noise: Latents): Latents {
    const tStart = this.scheduler.timesteps[0];
    if (tStart === undefined) throw new BugError('NoiseControl.start before scheduler.setTimesteps');
    return this.scheduler.addNoise(this.compositeLatents, noise, tStart);
  }

  /**
   * After the scheduler step with timestep t: held pixels are reset to add_noise(x0, fresh ε, t).
   * Pixels with s(p) < t/1000, dilated by int(4t/1000) latent px, are held (method.md §6, as the official code:
   * the time of the step just run).
   * @param sample x after scheduler.step [B, C, hLat, wLat]
   */
  afterStep(sample: Latents, t: number): Latents {
    const held = heldMask(this.strength, t).data;
    this.lastHeld = held;
    let any = false;
    for (let p = 0; p < held.length && !any; p++) any = held[p]! > 0;
    if (!any) return sample; // nothing to hold: no noise drawn, so a uniform map is exactly image-to-image
    const noise = this.freshNoise.normalTensor(sample.shape);
    const noised = this.scheduler.addNoise(this.compositeLatents, noise, t).data;
    const out = new Float32Array(sample.data);
    const plane = held.length;
    for (let i = 0; i < out.length; i++) {
      const k = held[i % plane]!;
      if (k > 0) out[i] = noised[i]!;
    }
    return float32(sample.shape, out);
  }
}

/** Fraction of held latent pixels in a held mask. */
export function heldFraction(held: Float32Array): number {
  let n = 0;
  for (const v of held) n += v > 0 ? 1 : 0;
  return n / held.length;
}
