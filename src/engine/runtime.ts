// onnxruntime-node sessions for IR graphs: thread count = cores, graph optimisation on, thread spinning off (engine.md:
// with spinning, alternating sessions ran 2× slower), typed feeds checked by name/shape/dtype, on-disk ONNX cache.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { InputError, ModelError } from '../errors.ts';
import { byteSize, formatShape, type DType, type Tensor } from '../tensor.ts';
import { defaultCacheDir, graphKey, layoutExternal, storedWeights, weightsIdentity, writeAtomic, writeExternalOnce } from './cache.ts';
import type { Graph, Value } from './graph.ts';
import { emitModel } from './onnx.ts';

export interface SessionOptions {
  /** ORT graph optimisation. @default 'all', or 'basic' when the graph has float64 values (check mode: ORT would fuse x·sigmoid(x) into QuickGelu, which has no float64 kernel) */
  readonly optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Intra-op threads. @default COLLAGE_THREADS from the environment, else os.availableParallelism() */
  readonly threads?: number;
  /** Cache folder for built ONNX; false = build in memory every time. @default COLLAGE_CACHE_DIR or env-paths cache */
  readonly cacheDir?: string | false;
  /** Stands in for hashing every weight byte in the cache key (e.g. model folder + file mtimes). */
  readonly weightsIdentity?: string;
  /** Stored weights above this many bytes in total go to a shared external-data file. @default 64 MiB */
  readonly externalDataBytes?: number;
  /** Feed every param as an input (benchmarks). @default false */
  readonly paramsAsInputs?: boolean;
  /** Fused contrib kernels (MultiHeadAttention). @default true unless the graph has a backward pass */
  readonly fused?: boolean;
  /**
   * ORT's CPU memory arena: freed activations are kept for the next run. Off returns them to the system, and each run
   * page-faults its activations afresh (the SD 1.5-size inversion step: 7–10 s of system time per run). @default true
   */
  readonly memoryArena?: boolean;
  /**
   * ORT's memory pattern: after the first run, every activation of a static-shape graph is placed in one planned block
   * allocated per run. Off, the arena places each one as it comes: the SD 1.5-size inversion step peaked at 7.9 GiB
   * instead of 10.5 GiB. @default true
   */
  readonly memoryPattern?: boolean;
  /**
   * ORT's weight prepacking (MatMul/Gemm weights copied into MLAS's packed layout at session creation). Off keeps one
   * copy of each weight (packing then happens per call). `{ maxWeightBytes }`: only the stored weights of Linear/MatMul
   * nodes up to that size are prepacked (the larger ones reach their nodes through an opaque alias, onnx.ts), for the
   * speed of packing where a weight is small and called on many rows without a packed copy of the large ones. @default true
   */
  readonly prepacking?: boolean | { readonly maxWeightBytes: number };
  /**
   * ORT's NCHWc transform (level 'all'): convs with constant weights run on a blocked layout, each weight reordered into
   * a copy. When the backward pass also reads the original weight (conv input-gradients), both copies stay. @default true
   */
  readonly blockedConvLayout?: boolean;
}

/** How the session was obtained, in milliseconds. */
export interface SessionTimings {
  readonly cacheHit: boolean;
  /** ORT's already-optimised graph was loaded (models without external data). */
  readonly optimizedHit: boolean;
  /** Hashing + emission + file writes (0 on a cache hit except hashing). */
  readonly buildMs: number;
  /** InferenceSession.create (ORT parsing + optimisation). */
  readonly createMs: number;
}

const ORT_TYPE: Readonly<Record<DType, ort.Tensor.Type>> = { float32: 'float32', float16: 'float16', float64: 'float64', int64: 'int64', int32: 'int32', uint8: 'uint8', bool: 'bool' };

/** How the cached files are used: `saveOptimized` writes ORT's optimised graph there; `preOptimized` loads one. */
interface CacheUse {
  readonly saveOptimized?: string;
  readonly preOptimized?: boolean;
}

/** COLLAGE_THREADS (a positive integer) caps every session's threads: lets a background job leave cores free. */
function defaultThreads(): number {
  const raw = process.env['COLLAGE_THREADS'];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : availableParallelism();
}

/** COLLAGE_ORT_PROFILE=prefix: ORT's per-node timing JSON (prefix_<date>.json, written at release); scripts/ort-profile-summary.ts sums it. */
function profilePrefix(): string | undefined {
  return process.env['COLLAGE_ORT_PROFILE'] || undefined;
}

function ortOptions(graph: Graph, o: SessionOptions, cache: CacheUse = {}): ort.InferenceSession.SessionOptions {
  const profile = profilePrefix();
  const float64 = graph.values.some((v) => v.dtype === 'float64');
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: o.threads ?? defaultThreads(),
    interOpNumThreads: 1,
    enableCpuMemArena: o.memoryArena ?? true,
    enableMemPattern: o.memoryPattern ?? true,
    graphOptimizationLevel: cache.preOptimized ? 'disabled' : (o.optimization ?? (float64 ? 'basic' : 'all')),
    // ORT warns that an 'all'-level optimised model is specific to this machine: the cache key says so already.
    ...(cache.saveOptimized ? { optimizedModelFilePath: cache.saveOptimized, logSeverityLevel: 3 as const } : {}),
    ...(profile ? { enableProfiling: true, profileFilePrefix: profile } : {}),
    extra: {
      session: { intra_op: { allow_spinning: '0' }, ...(o.prepacking === false ? { disable_prepacking: '1' } : {}) },
      ...(o.blockedConvLayout === false ? { optimization: { disable_specified_optimizers: 'NchwcTransformer' } } : {}),
    },
  };
}

/** ORT's optimised graphs can hold CPU-specific layouts (NCHWc): keyed by CPU model and ORT version. */
const MACHINE_TAG = createHash('sha256').update(`${cpus()[0]?.model ?? 'cpu'}|${ort.env.versions.common}`).digest('hex').slice(0, 8);

function toOrt(t: Tensor): ort.Tensor {
  if (t.dtype === 'bool') return new ort.Tensor('bool', t.data as Uint8Array, [...t.shape]);
  return new ort.Tensor(ORT_TYPE[t.dtype], t.data as Float32Array, [...t.shape]);
}

function fromOrt(t: ort.Tensor, dtype: DType): Tensor {
  const data = t.data as Tensor['data'];
  return { dtype, shape: [...t.dims], data: dtype === 'bool' && !(data instanceof Uint8Array) ? Uint8Array.from(data as ArrayLike<number>) : data };
}

/**
 * The cache file `graph` would be built into (undefined without a cache folder). Stored weights count by shape, so a
 * graph whose weights are shape-only stand-ins (data not read yet) has the same key as the real one when
 * `weightsIdentity` is given: `isCached` on such a graph tells whether the weights need reading at all.
 */
function cacheKey(graph: Graph, options: SessionOptions): { emit: ReturnType<typeof emitOptions>; weights: Value[]; totalBytes: number; external: boolean; wid: string; path: string | undefined } {
  const emit = emitOptions(graph, options);
  const weights = storedWeights(graph, emit.paramsAsInputs);
  const totalBytes = weights.reduce((s, w) => s + byteSize(w), 0);
  const external = totalBytes > (options.externalDataBytes ?? 64 * 2 ** 20);
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  const wid = weightsIdentity(weights, options.weightsIdentity);
  const path = cacheDir === false ? undefined : join(cacheDir, `model-${graphKey(graph, wid, { ...emit, external })}.onnx`);
  return { emit, weights, totalBytes, external, wid, path };
}

/** What of `options` shapes the emitted ONNX (and so the cache key). */
function emitOptions(graph: Graph, options: SessionOptions): { paramsAsInputs: boolean; fused: boolean; prepackMaxBytes?: number } {
  const paramsAsInputs = options.paramsAsInputs ?? false;
  const fused = options.fused ?? !graph.differentiated;
  const prepack = options.prepacking;
  return typeof prepack === 'object' ? { paramsAsInputs, fused, prepackMaxBytes: prepack.maxWeightBytes } : { paramsAsInputs, fused };
}

/** Whether `EngineSession.create(graph, options)` would be a cache hit (it then reads no param data). */
export function isCached(graph: Graph, options: SessionOptions = {}): boolean {
  const { path, external, wid } = cacheKey(graph, options);
  if (path === undefined || !existsSync(path)) return false;
  return !external || existsSync(join(path, '..', `weights-${wid}.bin`));
}

/**
 * Writes the ONNX of `graph` (and its external weights file) into the cache unless it is there, without opening ORT,
 * so a caller can drop the graph's weights before `create` loads the file: one copy of the weights in memory, not two.
 * @returns whether anything was written
 * @throws ModelError when options.cacheDir is false
 */
export function writeToCache(graph: Graph, options: SessionOptions = {}): boolean {
  const { emit, weights, external, wid, path } = cacheKey(graph, options);
  if (path === undefined) throw new ModelError({ what: 'writeToCache needs a cache folder', where: 'SessionOptions.cacheDir', fix: 'leave cacheDir unset or give a folder' });
  if (existsSync(path)) return false;
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const layout = external ? layoutExternal(weights, `weights-${wid}.bin`) : undefined;
  if (layout) writeExternalOnce(dir, weights, layout);
  writeAtomic(path, emitModel(graph, layout ? { ...emit, external: layout } : emit));
  return true;
}

/** A runnable IR graph. Trainable params are fed from their current values unless a run overrides them. */
export class EngineSession {
  private readonly params = new Map<string, Tensor>();
  /** Opened with ORT profiling on: its profile is written at release. */
  private readonly profiled = profilePrefix() !== undefined;
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputs: ReadonlyMap<string, Value>,
    private readonly outputs: ReadonlyMap<string, Value>,
    readonly timings: SessionTimings,
  ) {}

  /** Builds (or loads from the cache) the ONNX of `graph` and opens an ORT session on it. */
  static async create(graph: Graph, options: SessionOptions = {}): Promise<EngineSession> {
    const t0 = performance.now();
    const { emit, totalBytes, external, path } = cacheKey(graph, options);
    const fed = graph.values.filter((v) => v.kind === 'input' || (v.kind === 'param' && (v.trainable || emit.paramsAsInputs)));
    const cacheDir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
    let source: string | Uint8Array;
    let cacheHit = false;
    let cacheUse: CacheUse = {};
    if (cacheDir === false || path === undefined) {
      if (external) throw new ModelError({ what: `weights of ${(totalBytes / 2 ** 20).toFixed(0)} MiB need external data, which needs a cache folder`, where: 'SessionOptions.cacheDir', fix: 'leave cacheDir unset or give a folder' });
      source = emitModel(graph, emit);
    } else {
      source = path;
      cacheHit = existsSync(path);
      // Models without external data also cache ORT's optimised graph (it would copy external weights per variant).
      const optimized = path.replace(/\.onnx$/, `-${MACHINE_TAG}.opt.onnx`);
      if (!external && cacheHit && existsSync(optimized)) {
        source = optimized;
        cacheUse = { preOptimized: true };
      } else if (!external && !(options.optimization === 'disabled')) {
        cacheUse = { saveOptimized: `${optimized}.${process.pid}.tmp` };
      }
      if (!cacheHit) writeToCache(graph, options);
    }
    const t1 = performance.now();
    let session: ort.InferenceSession;
    try {
      session = typeof source === 'string' ? await ort.InferenceSession.create(source, ortOptions(graph, options, cacheUse)) : await ort.InferenceSession.create(source, ortOptions(graph, options));
      if (cacheUse.saveOptimized && existsSync(cacheUse.saveOptimized)) renameSync(cacheUse.saveOptimized, cacheUse.saveOptimized.replace(/\.\d+\.tmp$/, ''));
    } catch (e) {
      throw new ModelError({ what: `onnxruntime could not load the built graph: ${e instanceof Error ? e.message : String(e)}`, where: typeof source === 'string' ? source : 'in-memory model', fix: 'report this with the graph that failed; delete the cache folder if it was a cache hit' }, { cause: e });
    }
    const timings = { cacheHit, optimizedHit: cacheUse.preOptimized ?? false, buildMs: t1 - t0, createMs: performance.now() - t1 };
    const created = new EngineSession(session, new Map(fed.map((v) => [v.name, v])), new Map(graph.outputs), timings);
    for (const v of fed) if (v.kind === 'param' && v.data) created.params.set(v.name, v.data);
    return created;
  }

  /** Names of the values a run must (inputs) or may (params) be fed. */
  get inputNames(): string[] {
    return [...this.inputs.keys()];
  }
  get outputNames(): string[] {
    return [...this.outputs.keys()];
  }

  /** Replaces the fed value of a trainable param for later runs. */
  setParam(name: string, value: Tensor): void {
    this.check(name, value);
    this.params.set(name, value);
  }

  private check(name: string, t: Tensor): void {
    const v = this.inputs.get(name);
    if (!v) throw new InputError({ what: `"${name}" is not an input of this graph`, where: `feed ${name}`, fix: `feed one of: ${this.inputNames.join(', ')}` });
    if (t.dtype !== v.dtype || formatShape(t.shape) !== formatShape(v.shape)) {
      throw new InputError({ what: `expected ${v.dtype}${formatShape(v.shape)}, received ${t.dtype}${formatShape(t.shape)}`, where: `input "${name}"`, fix: 'feed a tensor of the declared dtype and shape' });
    }
  }

  /**
   * Runs the graph. Every problem with the feeds is reported at once, naming the input.
   * @param feeds tensors by input name (trainable params default to their current values)
   * @param outputs which outputs to fetch @default all
   */
  async run(feeds: Readonly<Record<string, Tensor>>, outputs: readonly string[] = this.outputNames): Promise<Record<string, Tensor>> {
    const problems: { what: string; where: string; fix: string }[] = [];
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      try {
        this.check(name, t);
        ortFeeds[name] = toOrt(t);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        problems.push(...e.problems.map((p) => ({ what: p.what, where: p.where ?? name, fix: p.fix ?? '' })));
      }
    }
    for (const [name] of this.inputs) {
      if (ortFeeds[name] || problems.some((p) => p.where.includes(`"${name}"`))) continue;
      const param = this.params.get(name);
      if (param) ortFeeds[name] = toOrt(param);
      else problems.push({ what: 'missing feed', where: `input "${name}"`, fix: `feed ${this.inputs.get(name)!.dtype}${formatShape(this.inputs.get(name)!.shape)}` });
    }
    for (const name of outputs) if (!this.outputs.has(name)) problems.push({ what: `no output "${name}"`, where: 'fetches', fix: `fetch one of: ${this.outputNames.join(', ')}` });
    if (problems.length > 0) throw new InputError(problems);
    const result = await this.session.run(ortFeeds, [...outputs]);
    const out: Record<string, Tensor> = {};
    for (const name of outputs) out[name] = fromOrt(result[name]!, this.outputs.get(name)!.dtype);
    return out;
  }

  async release(): Promise<void> {
    if (this.profiled) this.session.endProfiling();
    await this.session.release();
  }
}
