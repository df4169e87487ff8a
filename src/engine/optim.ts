// Optimisers on plain Float32Arrays: AdamW (decoupled weight decay, bias correction, as torch.optim.AdamW),
// global gradient-norm clipping and linear learning-rate warm-up. Parameters are updated in place, so a session
// whose trainable params share these arrays sees the new values on its next run.
import { InputError } from '../errors.ts';

export interface AdamWOptions {
  /** Peak learning rate. @default 1e-3 */ readonly lr?: number;
  /** @default 0.9 */ readonly beta1?: number;
  /** @default 0.999 */ readonly beta2?: number;
  /** @default 1e-8 */ readonly eps?: number;
  /** Decoupled weight decay (multiplies lr). @default 0.01 */ readonly weightDecay?: number;
  /** Clip the global gradient L2 norm to this before the step; undefined = no clipping. */ readonly maxGradNorm?: number;
  /** Steps of linear warm-up from 0 to lr. @default 0 */ readonly warmupSteps?: number;
}

export const DEFAULT_ADAMW_OPTIONS = Object.freeze({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, warmupSteps: 0 });

interface ResolvedAdamW {
  readonly lr: number; readonly beta1: number; readonly beta2: number; readonly eps: number;
  readonly weightDecay: number; readonly warmupSteps: number; readonly maxGradNorm: number | undefined;
}

function resolveAdamWOptions(options: AdamWOptions): ResolvedAdamW {
  const o = { ...DEFAULT_ADAMW_OPTIONS, ...options, maxGradNorm: options.maxGradNorm };
  const problems = [];
  if (!(o.lr > 0)) problems.push({ what: `lr ${o.lr} must be > 0`, where: 'AdamWOptions.lr' });
  if (!(o.beta1 >= 0 && o.beta1 < 1)) problems.push({ what: `beta1 ${o.beta1} must be in [0, 1)`, where: 'AdamWOptions.beta1' });
  if (!(o.beta2 >= 0 && o.beta2 < 1)) problems.push({ what: `beta2 ${o.beta2} must be in [0, 1)`, where: 'AdamWOptions.beta2' });
  if (o.maxGradNorm !== undefined && !(o.maxGradNorm > 0)) problems.push({ what: `maxGradNorm ${o.maxGradNorm} must be > 0`, where: 'AdamWOptions.maxGradNorm' });
  if (problems.length > 0) throw new InputError(problems);
  return Object.freeze(o);
}

/** Learning rate at `step` (1-based) with linear warm-up over `warmupSteps`. */
export function warmupLr(step: number, lr: number, warmupSteps: number): number {
  return warmupSteps > 0 && step < warmupSteps ? (lr * step) / warmupSteps : lr;
}

/** Scales all gradients in place so their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm(grads: readonly Float32Array[], maxNorm: number): number {
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  const norm = Math.sqrt(sq);
  if (norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i]! *= scale;
  }
  return norm;
}

/** torch.optim.AdamW over named Float32Array parameters (updated in place). */
export class AdamW {
  private readonly options: ResolvedAdamW;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  /** Steps taken so far. */
  step = 0;

  constructor(
    private readonly params: ReadonlyMap<string, Float32Array>,
    options: AdamWOptions = {},
  ) {
    this.options = resolveAdamWOptions(options);
    for (const [name, p] of params) {
      this.m.set(name, new Float32Array(p.length));
      this.v.set(name, new Float32Array(p.length));
    }
  }

  /**
   * The moment estimates by param name (live arrays) and the step count, for checkpoints; `loadState` restores them.
   */
  state(): { step: number; m: ReadonlyMap<string, Float32Array>; v: ReadonlyMap<string, Float32Array> } {
    return { step: this.step, m: this.m, v: this.v };
  }

  /** Restores a `state()` (copied into the existing arrays). @throws InputError naming any missing or mis-sized param */
  loadState(state: { step: number; m: ReadonlyMap<string, Float32Array>; v: ReadonlyMap<string, Float32Array> }): void {
    const problems = [];
    for (const [name, p] of this.params) {
      for (const [kind, source] of [['m', state.m], ['v', state.v]] as const) {
        const a = source.get(name);
        if (!a || a.length !== p.length) problems.push({ what: `optimizer state ${kind} ${a ? `has ${a.length} values, param has ${p.length}` : 'is missing'}`, where: `param ${name}`, fix: 'resume from a checkpoint of the same model' });
      }
    }
    if (problems.length > 0) throw new InputError(problems);
    for (const name of this.params.keys()) {
      this.m.get(name)!.set(state.m.get(name)!);
      this.v.get(name)!.set(state.v.get(name)!);
    }
    this.step = state.step;
  }

  /**
   * One update from gradients by param name (clipped in place when maxGradNorm is set).
   * @param lr this step's learning rate (a caller-side schedule such as warm-up + cosine) @default warm-up to options.lr
   * @returns the gradient norm before clipping and the learning rate used
   */
  update(grads: Readonly<Record<string, Float32Array>>, lr?: number): { gradNorm: number; lr: number } {
    const problems = [];
    for (const [name, p] of this.params) {
      const g = grads[name];
      if (!g) problems.push({ what: 'no gradient given', where: `param ${name}`, fix: 'pass every trained param gradient' });
      else if (g.length !== p.length) problems.push({ what: `gradient has ${g.length} elements, param has ${p.length}`, where: `param ${name}` });
    }
    if (problems.length > 0) throw new InputError(problems);
    const o = this.options;
    const list = [...this.params.keys()].map((n) => grads[n]!);
    const gradNorm = o.maxGradNorm === undefined ? Math.sqrt(list.reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0)) : clipGradNorm(list, o.maxGradNorm);
    this.step++;
    lr ??= warmupLr(this.step, o.lr, o.warmupSteps);
    const c1 = 1 - o.beta1 ** this.step;
    const c2 = 1 - o.beta2 ** this.step;
    for (const [name, p] of this.params) {
      const g = grads[name]!;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      for (let i = 0; i < p.length; i++) {
        p[i]! *= 1 - lr * o.weightDecay;
        m[i] = o.beta1 * m[i]! + (1 - o.beta1) * g[i]!;
        v[i] = o.beta2 * v[i]! + (1 - o.beta2) * g[i]! * g[i]!;
        p[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + o.eps);
      }
    }
    return { gradNorm, lr };
  }
}
