// Random initial weights in PyTorch's default scheme, read off the model builders themselves: a ModelWeights whose
// every lookup creates the weight the builder asks for (name and shape from the config, exactly as a checkpoint
// would hold them), so the names can never drift from the builders. Seeded per name: the value of a weight does not
// depend on build order.
//   conv/linear weight [out, in, …]: kaiming_uniform(a=√5) = U(±1/√fan_in), fan_in = in·∏kernel (torch.nn.Conv2d/Linear reset_parameters)
//   their bias: U(±1/√fan_in) of the same layer;  1-D weight (GroupNorm/LayerNorm): 1, its bias 0
//   `*embedding.weight` (CLIP token/position embeddings): N(0, 0.02), transformers' initializer_range
import type { Graph, Value } from '../engine/index.ts';
import { ModelWeights } from '../models/weights.ts';
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

/**
 * A ModelWeights that creates each weight a builder asks for (trainable, PyTorch init, seeded) and records it in
 * `store`; weights already in the store are reused, so several builds (e.g. two batch sizes) share one set.
 * Pass it where a builder takes `ModelWeights`.
 * @example
 * const store = new ParamStore('unet');
 * buildUNet(g, config, new InitWeights(store, 1234));   // store now holds every UNet weight by diffusers name
 */
export class InitWeights extends ModelWeights {
  constructor(
    private readonly store: ParamStore,
    private readonly seed: number,
  ) {
    super(store, { trainable: true });
  }

  override param(g: Graph, name: string, shape: readonly number[]): Value {
    const full = g.scoped(name);
    if (!this.store.has(full)) {
      const layer = full.slice(0, full.lastIndexOf('.'));
      const sibling = full.endsWith('.bias') && this.store.has(`${layer}.weight`) ? this.store.info(`${layer}.weight`).shape : undefined;
      this.store.set(full, shape, initialValue(full, shape, this.seed, sibling));
    }
    return super.param(g, name, shape);
  }
}
