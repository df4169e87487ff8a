// Random initial weights in PyTorch's default scheme, by diffusers name, read off the model builders themselves
// (names and shapes from a shape-only build), so they can never drift. Seeded per name: a weight's value does not
// depend on build order.
//   conv/linear weight [out, in, …]: kaiming_uniform(a=√5) = U(±1/√fan_in), fan_in = in·∏kernel (torch.nn.Conv2d/Linear reset_parameters)
//   their bias: U(±1/√fan_in) of the same layer;  1-D weight (GroupNorm/LayerNorm): 1, its bias 0
//   `*embedding.weight` (CLIP token/position embeddings): N(0, 0.02), transformers' initializer_range
import { Graph } from '../engine/index.ts';
import { BugError, ModelError } from '../errors.ts';
import type { WeightSource } from '../models/index.ts';
import { auxiliaryRng, type Rng } from '../world/index.ts';
import type { ParamStore } from './param-store.ts';

/** transformers' CLIPTextConfig.initializer_range, the std of embedding init. */
export const EMBEDDING_INIT_STD = 0.02;

/** 32-bit FNV-1a of a name: the per-weight stream of the seeded generator. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function fillUniform(out: Float32Array, bound: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = (rng.next() * 2 - 1) * bound;
}

function fillNormal(out: Float32Array, std: number, rng: Rng): void {
  for (let i = 0; i < out.length; i += 2) {
    // Box-Muller: two independent N(0, 1) per pair of uniforms (1 - u keeps the log finite)
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const theta = 2 * Math.PI * rng.next();
    out[i] = r * Math.cos(theta) * std;
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(theta) * std;
  }
}

/** fan_in of a conv/linear weight [out, in, …kernel]. */
function fanIn(shape: readonly number[]): number {
  return shape.slice(1).reduce((p, d) => p * d, 1);
}

/**
 * The PyTorch-default initial value of the weight `name` (full diffusers name) of `shape`.
 * @param siblingWeightShape shape of `<layer>.weight` for a `<layer>.bias`, when known
 */
export function initialValue(name: string, shape: readonly number[], seed: number, siblingWeightShape?: readonly number[]): Float32Array {
  const out = new Float32Array(shape.reduce((p, d) => p * d, 1));
  const rng = auxiliaryRng(seed, nameHash(name));
  if (name.endsWith('embedding.weight') && shape.length === 2) fillNormal(out, EMBEDDING_INIT_STD, rng);
  else if (name.endsWith('.weight') && shape.length === 1) out.fill(1);
  else if (name.endsWith('.weight')) fillUniform(out, 1 / Math.sqrt(fanIn(shape)), rng);
  else if (siblingWeightShape && siblingWeightShape.length >= 2) fillUniform(out, 1 / Math.sqrt(fanIn(siblingWeightShape)), rng);
  // else: a norm's bias (or a bias without a weight): 0
  return out;
}

/** An empty weight source: a build on it records every weight as missing, with its expected shape. */
const NO_WEIGHTS: WeightSource = {
  path: 'init-weights (shape-only build)',
  names: () => [],
  has: () => false,
  info: (name) => {
    throw new BugError(`info(${name}) on the shape-only source`);
  },
  readFloat32: (name) => {
    throw new BugError(`readFloat32(${name}) on the shape-only source`);
  },
};

/**
 * Adds to `store` PyTorch-default initial values for every weight `build` asks for that the store lacks, by full
 * diffusers name. The names and shapes come from a shape-only build of the model itself (the builder reports every
 * weight of an empty source as missing, with its expected shape, and leaves a placeholder param in the graph), so
 * they can never drift from the builders.
 * @param build calls a model builder (buildUNet, buildVaeEncoder, buildClipTextModel, …) on `g` with `source`
 * @returns the names added
 * @throws the builder's error when the build fails for anything but missing weights (e.g. a bad config)
 * @example
 * const store = new ParamStore('unet');
 * initWeights(store, 1234, (g, source) => buildUNet(g, config, source, { batch: 1, heightLatPx: 16, widthLatPx: 16 }));
 */
export function initWeights(store: ParamStore, seed: number, build: (g: Graph, source: WeightSource) => unknown): string[] {
  const g = new Graph();
  try {
    build(g, NO_WEIGHTS);
  } catch (e) {
    if (!(e instanceof ModelError) || !e.problems.every((p) => p.what.startsWith('missing weight'))) throw e;
  }
  const params = g.values.filter((v) => v.kind === 'param');
  const shapes = new Map(params.map((v) => [v.name, v.shape]));
  const added: string[] = [];
  for (const v of params) {
    if (store.has(v.name)) continue;
    const sibling = v.name.endsWith('.bias') ? shapes.get(`${v.name.slice(0, -'.bias'.length)}.weight`) : undefined;
    store.set(v.name, v.shape, initialValue(v.name, v.shape, seed, sibling));
    added.push(v.name);
  }
  return added;
}
