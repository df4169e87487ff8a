// Weights by full diffusers name for the model builders (style.md "Model builders"): every weight is looked up by its
// state-dict name and checked against the shape the config implies; after the build, every missing, wrong-shaped and
// unused weight is reported at once.
import type { Graph, Value } from '../engine/index.ts';
import { BugError, ModelError, type Problem } from '../errors.ts';
import { formatShape, numel, type Tensor } from '../tensor.ts';

/**
 * Anything weights can be read from by name: a safetensors file or sharded set (io's `TensorSource` fits as is),
 * an LDM checkpoint seen through a key map, or generated values for benchmarks.
 */
export interface WeightSource {
  /** A file or folder, for error messages. */
  readonly path: string;
  names(): readonly string[];
  has(name: string): boolean;
  info(name: string): { readonly shape: readonly number[] };
  /** The weight as float32 (F16/BF16 widened exactly). */
  readFloat32(name: string): Float32Array;
}

export interface ModelWeightsOptions {
  /** Which weights become trainable graph inputs (training, gradients w.r.t. weights). @default none */
  readonly trainable?: boolean | ((name: string) => boolean);
  /** Names in the source that this model does not use on purpose (e.g. buffers); not reported as unused. */
  readonly ignore?: (name: string) => boolean;
  /**
   * Makes the weights the source lacks instead of reporting them missing (training from scratch, random-weight
   * benchmarks). It may return a view into shared memory: the engine only reads weights. @default report them
   */
  readonly initialize?: (name: string, shape: readonly number[]) => Float32Array;
}

/** Looks weights up by full name for one model build and collects every problem until `finish()`. */
export class ModelWeights {
  private readonly used = new Set<string>();
  private readonly problems: Problem[] = [];

  constructor(
    readonly source: WeightSource,
    private readonly options: ModelWeightsOptions = {},
  ) {}

  /**
   * The weight `name` under the graph's current scope (`conv1.weight` inside `down_blocks.0.resnets.1`) as a param.
   * A missing or wrong-shaped weight is recorded and stands in as an empty placeholder of the expected shape, so the
   * build goes on and `finish()` can list every problem; the placeholder never reaches ONNX because finish throws.
   * @param shape the shape the config implies
   */
  param(g: Graph, name: string, shape: readonly number[]): Value {
    const full = g.scoped(name);
    this.used.add(full);
    const expected = formatShape(shape);
    if (!this.source.has(full)) {
      const made = this.options.initialize?.(full, shape);
      if (made && made.length !== numel(shape)) throw new BugError(`initialize gave ${made.length} values for ${full} ${expected}`);
      if (made) return g.param(name, { dtype: 'float32', shape: [...shape], data: made }, { trainable: this.isTrainable(full) });
      this.problems.push({ what: `missing weight "${full}" (expected shape ${expected})`, where: this.source.path, fix: 'use weights saved for this model config (diffusers names)' });
      return g.param(name, placeholder(shape));
    }
    const actual = this.source.info(full).shape;
    if (formatShape(actual) !== expected) {
      this.problems.push({ what: `weight "${full}" has shape ${formatShape(actual)}, expected ${expected}`, where: this.source.path, fix: 'check that config.json belongs to these weights' });
      return g.param(name, placeholder(shape));
    }
    const data: Tensor = { dtype: 'float32', shape: [...shape], data: this.source.readFloat32(full) };
    return g.param(name, data, { trainable: this.isTrainable(full) });
  }

  private isTrainable(full: string): boolean {
    const t = this.options.trainable ?? false;
    return typeof t === 'function' ? t(full) : t;
  }

  /**
   * Ends the build: throws once with every missing, wrong-shaped and unused weight.
   * @throws ModelError listing each weight by name (with the expected shape where one is expected)
   */
  finish(model: string): void {
    const unused = this.source.names().filter((n) => !this.used.has(n) && !(this.options.ignore?.(n) ?? false));
    const problems = [...this.problems];
    for (const name of unused) {
      problems.push({ what: `unused weight "${name}" ${formatShape(this.source.info(name).shape)} (not part of ${model} as configured)`, where: this.source.path, fix: 'check that config.json belongs to these weights' });
    }
    if (problems.length > 0) throw new ModelError(problems);
  }
}

/** Shape-only stand-in for a weight that failed its check (see `ModelWeights.param`). */
function placeholder(shape: readonly number[]): Tensor {
  return { dtype: 'float32', shape: [...shape], data: new Float32Array(0) };
}
