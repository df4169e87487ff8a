// The fixture UNets for the model tests: config.json (nulls dropped, as io resolves them), weights, and the captured
// intermediates' names mapped to our tap names (`t500.fine.X` and `t500.X` → `X`).
import { readFileSync } from 'node:fs';
import { openSafetensors } from '../../src/io/safetensors.ts';
import type { UNetBuildConfig } from '../../src/models/unet-config.ts';
import type { WeightSource } from '../../src/models/weights.ts';
import { referencePath } from './reference.ts';

export interface FixtureUNet {
  readonly config: UNetBuildConfig;
  readonly weights: WeightSource;
}

/** `dir` relative to the reference folder, e.g. 'diffusers/unet_tiny'. */
export function fixtureUNet(dir: string): FixtureUNet {
  const raw = JSON.parse(readFileSync(referencePath(`${dir}/config.json`), 'utf8')) as Record<string, unknown>;
  const config = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null)) as unknown as UNetBuildConfig;
  return { config, weights: openSafetensors(referencePath(`${dir}/diffusion_pytorch_model.safetensors`)) };
}

/** Our tap name for a fixture capture name, or undefined for non-captures. */
export function tapName(fixtureName: string): string | undefined {
  if (fixtureName.startsWith('t500.fine.')) return fixtureName.slice('t500.fine.'.length);
  if (fixtureName.startsWith('t500.')) return fixtureName.slice('t500.'.length);
  return undefined;
}
