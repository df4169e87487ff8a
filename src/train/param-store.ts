// Trained weights by diffusers name, as one set of Float32Arrays shared by every graph built from it: the
// optimiser updates them in place and each session (which feeds trainable params from these arrays) sees the
// new values on its next run. It is a models `WeightSource`, so builders read it like a safetensors file.
import { InputError } from '../errors.ts';
import type { WeightSource } from '../models/index.ts';
import { formatShape, numel, type Tensor } from '../tensor.ts';

/** Named float32 parameters with shapes; `readFloat32` returns the stored array itself (no copy). */
export class ParamStore implements WeightSource {
  private readonly tensors = new Map<string, Tensor<'float32'>>();

  /** @param path a label for error messages (e.g. the checkpoint or the recipe stage) */
  constructor(readonly path: string) {}

  names(): readonly string[] {
    return [...this.tensors.keys()];
  }
  has(name: string): boolean {
    return this.tensors.has(name);
  }
  info(name: string): { readonly shape: readonly number[] } {
    return { shape: this.get(name).shape };
  }
  readFloat32(name: string): Float32Array {
    return this.get(name).data;
  }

  /** The parameter `name`. @throws InputError naming it when absent */
  get(name: string): Tensor<'float32'> {
    const t = this.tensors.get(name);
    if (!t) throw new InputError({ what: `no parameter "${name}"`, where: this.path, fix: 'build the model with init weights first or load a checkpoint that has it' });
    return t;
  }

  /** Adds or replaces a parameter. @throws InputError when data and shape disagree */
  set(name: string, shape: readonly number[], data: Float32Array): void {
    if (data.length !== numel(shape)) throw new InputError({ what: `data has ${data.length} elements, shape ${formatShape(shape)} needs ${numel(shape)}`, where: `${this.path} → ${name}`, fix: 'pass data matching the shape' });
    this.tensors.set(name, { dtype: 'float32', shape: [...shape], data });
  }

  /** Copies values into the existing arrays (keeps every session's view); shapes must match exactly. */
  assign(values: ReadonlyMap<string, Float32Array>): void {
    const problems = [];
    for (const [name, t] of this.tensors) {
      const v = values.get(name);
      if (!v) problems.push({ what: `no value for parameter "${name}"`, where: this.path, fix: 'load a checkpoint of the same model config' });
      else if (v.length !== t.data.length) problems.push({ what: `parameter "${name}" has ${v.length} values, expected ${t.data.length} ${formatShape(t.shape)}`, where: this.path, fix: 'load a checkpoint of the same model config' });
    }
    if (problems.length > 0) throw new InputError(problems);
    for (const [name, t] of this.tensors) t.data.set(values.get(name)!);
  }

  /** name → array (the live arrays, for AdamW). */
  arrays(): Map<string, Float32Array> {
    return new Map([...this.tensors].map(([n, t]) => [n, t.data]));
  }

  /** Tensors by name (live arrays) for writing. */
  entries(): [string, Tensor<'float32'>][] {
    return [...this.tensors];
  }

  /**
   * The parameters whose names pass `keep`, as a WeightSource sharing this store's arrays (one store holds the text
   * encoder and the UNet trained jointly; each builder sees only its own weights, so none is reported unused).
   */
  subset(keep: (name: string) => boolean, label = this.path): WeightSource {
    const names = this.names().filter(keep);
    const set = new Set(names);
    return {
      path: label,
      names: () => names,
      has: (name) => set.has(name),
      info: (name) => this.info(name),
      readFloat32: (name) => this.readFloat32(name),
    };
  }

  /** Total number of scalars. */
  get size(): number {
    let n = 0;
    for (const t of this.tensors.values()) n += t.data.length;
    return n;
  }
}
