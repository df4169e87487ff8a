// Euler ancestral sampler (k-diffusion `sample_euler_ancestral`, eta 1) with diffusers 0.27
// EulerAncestralDiscreteScheduler semantics; the official Collage Diffusion demo's sampler.
import { InputError } from '../errors.ts';
import { float32 } from '../tensor.ts';
import { EulerScheduler, predictOriginal, readEulerKeys, type EulerConfig } from './euler.ts';
import { ConfigReader, type RawSchedulerConfig } from './scheduler-config.ts';
import { checkSameShape, type Latents, type StepResult } from './scheduler.ts';

/** Reads an EulerAncestralDiscreteScheduler config (no Karras sigmas in diffusers 0.27). @throws ModelError */
export function resolveEulerAncestralConfig(raw: RawSchedulerConfig, where: string): EulerConfig {
  const reader = new ConfigReader(raw, where);
  const config = readEulerKeys(reader, false);
  reader.finish();
  return config;
}

/** Euler ancestral: each step lands at sigma_down, then adds sigma_up of fresh noise (passed in by the caller). */
export class EulerAncestralScheduler extends EulerScheduler {
  override readonly className = 'EulerAncestralDiscreteScheduler';

  /**
   * One ancestral step with s = sigma_i, s' = sigma_{i+1}: sigma_up = sqrt(s'^2 (s^2 - s'^2) / s^2),
   * sigma_down = sqrt(s'^2 - sigma_up^2), x' = x + (x - x0) / s * (sigma_down - s) + noise * sigma_up.
   * @param noise unit Gaussian noise of the sample's shape; required (the last step multiplies it by 0)
   */
  override step(modelOutput: Latents, t: number, sample: Latents, noise?: Latents): StepResult {
    checkSameShape(sample, modelOutput, 'sample', 'modelOutput');
    if (noise === undefined) {
      throw new InputError({
        what: 'Euler ancestral needs fresh noise at every step',
        where: `${this.className}.step`,
        fix: 'pass noise = rng.normal(sample.shape) (see sampling/rng.ts)',
      });
    }
    checkSameShape(sample, noise, 'sample', 'noise');
    const index = this.currentIndex(t);
    const sigmaFrom = this.sigmas[index]!;
    const sigmaTo = this.sigmas[index + 1]!;
    const sigmaUp = Math.sqrt(
      (sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo)) / (sigmaFrom * sigmaFrom),
    );
    const sigmaDown = Math.sqrt(Math.max(0, sigmaTo * sigmaTo - sigmaUp * sigmaUp));
    const dt = sigmaDown - sigmaFrom;
    const vPrediction = this.config.prediction_type === 'v_prediction';
    const x0 = new Float32Array(sample.data.length);
    const prev = new Float32Array(sample.data.length);
    for (let i = 0; i < prev.length; i++) {
      const x = sample.data[i]!;
      const predX0 = predictOriginal(vPrediction, x, modelOutput.data[i]!, sigmaFrom);
      x0[i] = predX0;
      prev[i] = x + ((x - predX0) / sigmaFrom) * dt + noise.data[i]! * sigmaUp;
    }
    this.advance(index);
    return { prevSample: float32(sample.shape, prev), predOriginalSample: float32(sample.shape, x0) };
  }
}
