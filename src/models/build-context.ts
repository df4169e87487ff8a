// What every block builder receives: the graph, the weights by full diffusers name, and intermediate taps (any
// scope's `.in`/`.out` can become a graph output, which is how the diffusers fixtures' hook captures are checked).
import type { Graph, Value } from '../engine/index.ts';
import { ModelError } from '../errors.ts';
import { ModelWeights } from './weights.ts';

export interface BuildContextOptions {
  /**
   * Intermediates to expose as graph outputs, by scoped name: `time_proj.out`, `down_blocks.0.res_samples.1`,
   * `down_blocks.1.attentions.0.transformer_blocks.0.attn2.out`; 'all' exposes every tap. @default none
   */
  readonly taps?: readonly string[] | 'all';
}

/** The graph, the weights and the taps of one model build. */
export class BuildContext {
  private readonly wanted: ReadonlySet<string> | 'all';
  private readonly found = new Set<string>();

  constructor(
    readonly g: Graph,
    readonly weights: ModelWeights,
    options: BuildContextOptions = {},
  ) {
    const taps = options.taps ?? [];
    this.wanted = taps === 'all' ? 'all' : new Set(taps);
  }

  /** The weight `name` under the current scope, checked against `shape` (see ModelWeights.param). */
  weight(name: string, shape: readonly number[]): Value {
    return this.weights.param(this.g, name, shape);
  }

  /** Exposes `value` as the graph output `<scope>.<suffix>` when that name was asked for; returns `value`. */
  tap(suffix: string, value: Value): Value {
    const name = this.g.scoped(suffix);
    if (this.wanted === 'all' || this.wanted.has(name)) {
      this.found.add(name);
      this.g.output(name, value);
    }
    return value;
  }

  /**
   * Ends the build: weight problems (all at once), then taps that were asked for but do not exist.
   * @throws ModelError
   */
  finish(model: string): void {
    this.weights.finish(model);
    if (this.wanted === 'all') return;
    const missing = [...this.wanted].filter((n) => !this.found.has(n));
    if (missing.length > 0) {
      throw new ModelError({ what: `no intermediate named ${missing.map((n) => `"${n}"`).join(', ')} in ${model}`, where: 'taps', fix: 'use scope names such as "mid_block.out" or "down_blocks.0.res_samples.1"' });
    }
  }
}
