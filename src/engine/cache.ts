// The on-disk cache of built ONNX: model files keyed by a content hash of graph + weights identity, and one shared
// external-data file per set of weights, so every variant (resolution, batch, bias) of a model references it.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import envPaths from 'env-paths';
import type { Graph, Value } from './graph.ts';
import { OPSET, tensorBytes, type ExternalData } from './onnx.ts';

/** Bump when emission changes in a way old cached files would not reflect. */
const CACHE_FORMAT = 2; // 2: ConvTranspose-shared kernels emitted through an opaque Reshape
/** Offsets are page-aligned so ORT can mmap each weight (onnx.proto, external_data "offset"). */
const ALIGN = 4096;

/** `COLLAGE_CACHE_DIR`, else env-paths('collage-diffusion').cache + '/onnx'. */
export function defaultCacheDir(): string {
  return process.env['COLLAGE_CACHE_DIR'] ?? join(envPaths('collage-diffusion', { suffix: '' }).cache, 'onnx');
}

function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Named weights stored as initializers (not fed), sorted by name: the same list for every variant of a model. */
export function storedWeights(graph: Graph, paramsAsInputs: boolean): Value[] {
  return graph.values.filter((v) => v.kind === 'param' && !v.trainable && !paramsAsInputs).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Identity of a set of weights: the caller's id (e.g. folder + mtimes) or a hash of every byte. */
export function weightsIdentity(weights: readonly Value[], identity: string | undefined): string {
  const h = createHash('sha256');
  for (const w of weights) {
    h.update(`${w.name}|${w.dtype}|${w.shape.join(',')}|`);
    if (identity === undefined && w.data) h.update(tensorBytes(w.data));
  }
  if (identity !== undefined) h.update(`identity:${identity}`);
  return h.digest('hex').slice(0, 32);
}

/** Content hash of the graph structure, constants, options and the weights identity. */
export function graphKey(graph: Graph, weightsId: string, options: object): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ CACHE_FORMAT, OPSET, weightsId, options }));
  for (const v of graph.values) {
    if (v.kind === 'node') continue;
    h.update(`${v.kind}|${v.name}|${v.dtype}|${v.shape.join(',')}|${v.trainable ? 1 : 0}\n`);
    if (v.kind === 'constant' && v.data) h.update(tensorBytes(v.data));
  }
  for (const n of graph.nodes) {
    h.update(`${n.op}|${n.name}|${n.inputs.map((v) => v.name).join(',')}|${n.outputs.map((v) => `${v.name}:${v.dtype}:${v.shape.join('x')}`).join(',')}|${JSON.stringify(n.attrs)}\n`);
  }
  for (const [name, v] of graph.outputs) h.update(`out|${name}|${v.name}\n`);
  return h.digest('hex').slice(0, 32);
}

/** Page-aligned offsets of each weight in the shared file named `location`. */
export function layoutExternal(weights: readonly Value[], location: string): ExternalData & { readonly totalBytes: number } {
  const entries = new Map<string, { offset: number; length: number }>();
  let offset = 0;
  for (const w of weights) {
    const length = w.data ? tensorBytes(w.data).byteLength : 0;
    entries.set(w.name, { offset, length });
    offset = Math.ceil((offset + length) / ALIGN) * ALIGN;
  }
  return { location, entries, totalBytes: offset };
}

/** Writes the external-data file once (temp file + rename, so a partial file is never seen). */
export function writeExternalOnce(dir: string, weights: readonly Value[], layout: ExternalData): void {
  const path = join(dir, layout.location);
  if (existsSync(path)) return;
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    for (const w of weights) {
      const entry = layout.entries.get(w.name);
      if (entry && w.data) writeSync(fd, tensorBytes(w.data), 0, entry.length, entry.offset);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Atomic write of a whole file. */
export function writeAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export { hashBytes };
