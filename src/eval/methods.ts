// The methods the benchmark can run (world.md "Benchmark cases"): each turns a case's input into an RGB image.
// Stand-ins that need no model live here; model-based methods are added to `EVAL_METHODS` by the modules that
// own them (method/, cli/), through `registerEvalMethod`.
import type { RgbaFloatImage } from '../io/index.ts';
import type { RgbImage } from '../world/index.ts';
import { BugError, InputError, type Problem } from '../errors.ts';
import type { BenchmarkCase, CollageDocumentJson } from './case.ts';
import { parseMethodSpec, withNoiseStrength } from './method-variants.ts';

/** What a method may look at: the collage and its text, never the ground truth (unless it is an oracle). */
export interface MethodInput {
  readonly index: number;
  /** The scene caption, e.g. "a red striped ball and a small blue cube on snow at sunset". */
  readonly text: string;
  readonly widthPx: number;
  readonly heightPx: number;
  /** [H, W, 3] the naive collage: background with the layers pasted. */
  readonly collage: RgbImage;
  /** [H, W, 3] the collage's background. */
  readonly background: RgbImage;
  /** Bottom first: id, text, placement and RGBA cut-out of each layer. */
  readonly layers: readonly {
    readonly id: string;
    readonly text: string;
    readonly x: number;
    readonly y: number;
    readonly image: RgbaFloatImage;
  }[];
  /** The collage document (image paths relative to `documentPath` when the runner wrote the case to disk). */
  readonly document: CollageDocumentJson;
  /** Path of the written `*.collage.json`, when the runner was asked to write cases (`writeCasesTo`). */
  readonly documentPath?: string;
}

export interface MethodContext {
  /** Free-form settings from the command line (`--set key=value`), for the method to validate. */
  readonly settings: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Only for methods with `oracle: true`: the answer. */
  readonly groundTruth?: RgbImage;
}

/** Settings recorded with a result (cases.jsonl), compared key by key on resume. */
export type RecordedSettings = Readonly<Record<string, string | number>>;

export interface EvalMethod {
  /** CLI id, kebab-case. */
  readonly id: string;
  readonly description: string;
  /** Sees the ground truth (a reference point, never a real method). */
  readonly oracle?: boolean;
  /** Reads the document's `layers[].noise`, so an `id@s` variant (method-variants.ts) sets its strength. @default false */
  readonly takesNoise?: boolean;
  /**
   * The settings its outputs depend on (model identity, steps, seed, …), recorded with each result so that a
   * resumed run can refuse to mix results made with other settings. @default the whole `--set` map
   */
  recordedSettings?(context: MethodContext): Promise<RecordedSettings>;
  /** @returns [heightPx, widthPx, 3] RGB in [0, 1] */
  generate(input: MethodInput, context: MethodContext): Promise<RgbImage>;
}

const naive: EvalMethod = {
  id: 'naive',
  description: 'returns the naive collage unchanged (no harmonization at all)',
  generate: (input) => Promise.resolve(input.collage),
};

const groundTruth: EvalMethod = {
  id: 'ground-truth',
  description: 'returns render(S), the answer (upper bound of every metric)',
  oracle: true,
  generate: (_input, context) => {
    if (context.groundTruth === undefined)
      return Promise.reject(new BugError('the ground-truth method was run without the ground truth'));
    return Promise.resolve(context.groundTruth);
  },
};

const registry = new Map<string, EvalMethod>([
  [naive.id, naive],
  [groundTruth.id, groundTruth],
]);

/** Adds a method to the registry (model-based methods register themselves here). */
export function registerEvalMethod(method: EvalMethod): void {
  registry.set(method.id, method);
}

/** The registered methods, in registration order. */
export function evalMethods(): readonly EvalMethod[] {
  return [...registry.values()];
}

/**
 * The methods named by specs, in the given order: a registered id, or `id@s` for that method with every layer's
 * noise strength set to s (method-variants.ts), e.g. `sdedit@0.6`.
 * @throws InputError listing every unknown id, bad strength, method without a noise strength, and repeated spec
 */
export function resolveEvalMethods(specs: readonly string[]): readonly EvalMethod[] {
  const problems: Problem[] = [];
  const methods: EvalMethod[] = [];
  for (const spec of specs) {
    const parsed = parseMethodSpec(spec);
    if (parsed.kind === 'bad') {
      problems.push(parsed.problem);
      continue;
    }
    const method = registry.get(parsed.id);
    if (method === undefined) {
      problems.push({
        what: `unknown method "${parsed.id}"`,
        where: '--methods',
        fix: `use one of: ${[...registry.keys()].join(', ')}`,
      });
    } else if (parsed.noise === undefined) {
      methods.push(method);
    } else if (method.takesNoise !== true) {
      problems.push({
        what: `method "${parsed.id}" has no noise strength, so "${spec}" means nothing`,
        where: '--methods',
        fix: `use "${parsed.id}" alone; @s applies to ${[...registry.values()]
          .filter((m) => m.takesNoise === true)
          .map((m) => m.id)
          .join(', ')}`,
      });
    } else {
      methods.push(withNoiseStrength(method, parsed.noise));
    }
  }
  const seen = new Set<string>();
  for (const m of methods) {
    if (seen.has(m.id))
      problems.push({
        what: `method "${m.id}" is listed twice`,
        where: '--methods',
        fix: 'list each method once',
      });
    seen.add(m.id);
  }
  if (problems.length > 0) throw new InputError(problems);
  return methods;
}

/** The input a method sees for a case. */
export function methodInput(
  c: BenchmarkCase,
  document: CollageDocumentJson,
  documentPath?: string,
): MethodInput {
  return {
    index: c.index,
    text: c.text,
    widthPx: c.widthPx,
    heightPx: c.heightPx,
    collage: c.naive,
    background: c.background,
    layers: c.layers.map((l) => ({
      id: l.object.id,
      text: l.text,
      x: l.layer.x,
      y: l.layer.y,
      image: l.layer.image,
    })),
    document,
    ...(documentPath === undefined ? {} : { documentPath }),
  };
}
