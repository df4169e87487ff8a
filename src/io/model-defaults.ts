// Our settings that travel with a model folder: model_index.json's "_collage_diffusion" key (diffusers skips keys that
// start with an underscore), e.g. {"inversion": {"steps": 100}}: the embedded model's measured inversion step count
// (scripts/inversion-curve.ts). Explicit user settings always win over these; absent keys leave the library defaults.
import { ModelError, type Problem } from '../errors.ts';

/** The model_index.json key holding CollageModelDefaults. */
export const COLLAGE_MODEL_INDEX_KEY = '_collage_diffusion';

/** Per-model defaults of collage-diffusion settings, as stored under COLLAGE_MODEL_INDEX_KEY. */
export interface CollageModelDefaults {
  readonly inversion?: {
    /** Textual-inversion steps per layer (used when the caller sets none). */
    readonly steps?: number;
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads the value of model_index.json's COLLAGE_MODEL_INDEX_KEY (undefined → no defaults). Keys we do not use are
 * ignored, so older readers open newer folders; a used key with a bad value is an error.
 * @param where names the file in messages
 * @throws ModelError listing every bad value
 */
export function parseCollageModelDefaults(raw: unknown, where: string): CollageModelDefaults {
  if (raw === undefined) return {};
  const at = `${where} → ${COLLAGE_MODEL_INDEX_KEY}`;
  if (!isObject(raw)) throw new ModelError({ what: `expected an object, got ${JSON.stringify(raw)}`, where: at, fix: 'write e.g. {"inversion": {"steps": 100}}, or remove the key' });
  const problems: Problem[] = [];
  const inversion = raw['inversion'];
  if (inversion === undefined) return {};
  if (!isObject(inversion)) {
    problems.push({ what: `expected an object, got ${JSON.stringify(inversion)}`, where: `${at}.inversion`, fix: 'write e.g. {"steps": 100}' });
  } else {
    const steps = inversion['steps'];
    if (steps !== undefined && (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1 || steps > 100_000)) {
      problems.push({ what: `steps must be an integer from 1 to 100000, got ${JSON.stringify(steps)}`, where: `${at}.inversion.steps`, fix: 'use e.g. 100, or remove the key (250)' });
    }
  }
  if (problems.length > 0) throw new ModelError(problems);
  const steps = (inversion as Record<string, unknown>)['steps'] as number | undefined;
  return steps === undefined ? { inversion: {} } : { inversion: { steps } };
}
