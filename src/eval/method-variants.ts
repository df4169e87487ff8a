// Method variants with a noise strength (`sdedit@0.6`): the method run on the case's collage document with every
// layer's `noise` set to s (collage-format.md `layers[].noise`; method.md §6), so s_max = s and, for uniform-noise
// methods, s everywhere. Without `@s` a method keeps its auto values (method.md §6: last layer 0.4, others 0.5 + 0.2r).
import type { Problem } from '../errors.ts';
import type { EvalMethod } from './methods.ts';

/** A `--methods` entry: a method id, optionally with a noise strength. */
export type MethodSpec =
  | { readonly kind: 'ok'; readonly id: string; readonly noise?: number }
  | { readonly kind: 'bad'; readonly problem: Problem };

/** A decimal in (0, 1]: "0.8", ".8", "1", "1.0". Strength 0 would leave no denoising step (pipeline.ts). */
const STRENGTH_TEXT = /^(0?\.\d+|1(\.0*)?|0)$/;

/**
 * Splits `id@s` into the method id and s in (0, 1].
 * @example parseMethodSpec('sdedit@0.6') // { kind: 'ok', id: 'sdedit', noise: 0.6 }
 */
export function parseMethodSpec(spec: string): MethodSpec {
  const at = spec.indexOf('@');
  if (at < 0) return { kind: 'ok', id: spec };
  const id = spec.slice(0, at);
  const text = spec.slice(at + 1);
  const noise = Number(text);
  if (!STRENGTH_TEXT.test(text) || !(noise > 0 && noise <= 1)) {
    return {
      kind: 'bad',
      problem: {
        what: `noise strength "${text}" of "${spec}" is not a number in (0, 1]`,
        where: '--methods',
        fix: `write e.g. ${id}@0.8 (0 keeps the collage's pixels and leaves nothing to denoise)`,
      },
    };
  }
  return { kind: 'ok', id, noise };
}

/**
 * `method` with every layer's noise strength set to `strength`; its id is `<id>@<strength>` (shortest decimal).
 * @param strength in (0, 1]
 */
export function withNoiseStrength(method: EvalMethod, strength: number): EvalMethod {
  const { recordedSettings } = method;
  return {
    id: `${method.id}@${String(strength)}`,
    description: `${method.description}; every layer's noise strength ${String(strength)}`,
    takesNoise: true,
    ...(method.oracle === true ? { oracle: true } : {}),
    ...(recordedSettings === undefined
      ? {}
      : {
          recordedSettings: async (context) => ({ ...(await recordedSettings(context)), noise: strength }),
        }),
    generate: (input, context) =>
      method.generate(
        {
          ...input,
          document: {
            ...input.document,
            layers: input.document.layers.map((l) => ({ ...l, noise: strength })),
          },
        },
        context,
      ),
  };
}
