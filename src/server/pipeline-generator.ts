// The server's Generator backed by the Collage Diffusion pipeline (method/'s generate / regenerate): the model is
// opened on the first job (not at start-up, so the editor opens at once) and kept for the next ones.
import { generate, regenerate, type GenerateResult } from '../method/index.ts';
import type { StableDiffusion } from '../models/index.ts';
import type { Generator } from './generator.ts';

/**
 * A generator over one model. Latent previews are sent with every denoising step (a fixed linear map, no VAE).
 * @param open opens the model; a failure (a ModelError: missing folder, bad config) fails that job only and the
 *   next job tries again
 */
export function createPipelineGenerator(open: () => Promise<StableDiffusion>): Generator & { release(): Promise<void> } {
  let model: Promise<StableDiffusion> | undefined;
  const run: Generator = async (req, onProgress, signal) => {
    model ??= open().catch((e: unknown) => {
      model = undefined;
      throw e;
    });
    const sd = await model;
    const { seed, steps, n, regenerate: layers, previousImage } = req.options;
    const options = {
      ...(seed === undefined ? {} : { seed }),
      ...(steps === undefined ? {} : { steps }),
      ...(n === undefined ? {} : { n }),
      preview: true,
      onProgress,
      signal,
    };
    const collage = { document: req.document, images: req.images };
    const result = layers !== undefined && layers.length > 0 && previousImage !== undefined
      ? await regenerate(previousImage, collage, layers, sd, options)
      : await generate(collage, sd, options);
    return { images: [...result.images], record: generationRecord(result) };
  };
  return Object.assign(run, { release: async () => (model === undefined ? undefined : (await model).release()) });
}

/** What a result's JSON keeps of a generation: every resolved option, the seeds and each layer's resolved controls. */
export function generationRecord(result: GenerateResult): Record<string, unknown> {
  return {
    options: result.options,
    seeds: result.seeds,
    sceneText: result.plan.sceneText,
    steps: result.options.steps,
    layers: result.plan.layers.map((l) => ({ id: l.id, noise: l.noise, attention: l.attention, sizeRatio: l.sizeRatio, invert: l.invert })),
  };
}
