// Test-only safetensors reader (F32 / I64 / F16 only) for the sampling tests, written before src/io/safetensors.ts
// landed. Format: u64 LE header length N, N bytes of JSON {name: {dtype, shape, data_offsets}}, then raw LE data.
import { readFileSync } from 'node:fs';

/** One tensor as read: F32 and F16 (widened) as Float32Array, I64 as Float64Array (exact below 2^53). */
export interface ReadTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Reads every tensor of a .safetensors file into memory. */
export function readSafetensors(path: string): Map<string, ReadTensor> {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  const base = 8 + headerLength;
  const tensors = new Map<string, ReadTensor>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = value as HeaderEntry;
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    let data: Float32Array | Float64Array;
    if (entry.dtype === 'F32') {
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(base + begin + 4 * i, true);
    } else if (entry.dtype === 'F16') {
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(base + begin + 2 * i, true));
    } else if (entry.dtype === 'I64') {
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = Number(view.getBigInt64(base + begin + 8 * i, true));
    } else {
      throw new Error(
        `${path}: tensor ${name} has dtype ${entry.dtype}; this test reader handles F32, F16, I64`,
      );
    }
    if (end - begin !== count * (entry.dtype === 'F16' ? 2 : entry.dtype === 'F32' ? 4 : 8)) {
      throw new Error(`${path}: tensor ${name} byte range does not match its shape`);
    }
    tensors.set(name, { shape: entry.shape, data });
  }
  return tensors;
}

/** The tensor `name`, or an Error naming the file and the tensor. */
export function tensorOf(file: Map<string, ReadTensor>, name: string): ReadTensor {
  const t = file.get(name);
  if (!t) throw new Error(`reference tensor ${name} not found (have: ${[...file.keys()].join(', ')})`);
  return t;
}

/** Slice i of the first axis of a reference tensor, as float32 data. */
export function sliceFirst(t: ReadTensor, i: number): Float32Array {
  const inner = t.data.length / (t.shape[0] ?? 1);
  return Float32Array.from(t.data.subarray(i * inner, (i + 1) * inner));
}
