// Held-out evaluation of textual inversion (issue 9's acceptance: "the masked loss averaged over a fixed evaluation set
// of (t, noise) pairs"): one seeded set of draws, and the mean masked loss of an embedding on it through the same
// loss graph the optimisation uses (InversionProblem.lossAndGradient), so the measurement is the objective itself.
import { InputError } from '../errors.ts';
import { drawBatch, type ItemDraw } from './inversion-batch.ts';
import type { InversionProblem } from './inversion-problem.ts';
import { inversionStreams } from './inversion.ts';

/** A fixed evaluation set: batches of the problem's batch size, each item a template, target variant, t and noise ε. */
export type EvaluationSet = readonly (readonly ItemDraw[])[];

/**
 * Draws `pairs` evaluation items from `seed` (streams labelled "eval", apart from any layer's training streams): the
 * same seed and problem shape give the same set, so losses of different embeddings, step counts and inits compare on
 * common draws.
 * @param pairs a multiple of problem.batch
 * @throws InputError when pairs is not a positive multiple of the batch size
 */
export function evaluationSet(problem: InversionProblem, seed: number, pairs: number): EvaluationSet {
  if (!Number.isInteger(pairs) || pairs < 1 || pairs % problem.batch !== 0) {
    throw new InputError({ what: `${pairs} evaluation pairs for a batch of ${problem.batch}`, where: 'evaluationSet → pairs', fix: `use a multiple of ${problem.batch}, e.g. ${problem.batch * 8}` });
  }
  const streams = inversionStreams(seed, 'eval');
  const trainTimesteps = problem.schedule.alphasCumprod.length;
  return Array.from({ length: pairs / problem.batch }, () => drawBatch(streams.draws, streams.noise, problem.batch, problem.latents.length, trainTimesteps, problem.latentShape));
}

/**
 * Mean masked loss mean((ε̂ − ε)² · M) of `embedding` over an evaluation set (no optimisation; the gradient the
 * shared session also returns is dropped).
 * @param embedding [D] the learned token's vector
 */
export async function evaluationLoss(problem: InversionProblem, set: EvaluationSet, embedding: Float32Array): Promise<number> {
  let sum = 0;
  for (const draws of set) sum += (await problem.lossAndGradient(draws, embedding)).loss;
  return sum / set.length;
}
