// safetensors reader/writer (format: github.com/huggingface/safetensors, README "Format"): 8-byte little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, __metadata__}, then the raw tensor bytes.
// Reading never loads the whole file: the header first, then each tensor by offset into a fresh buffer on demand.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError, type Problem } from '../errors.ts';
import { numel, type Tensor } from '../tensor.ts';
import { writeFileAtomic } from './atomic.ts';
import { bfloat16ToFloat32, float16ToFloat32 } from './float16.ts';

/** The dtypes we read and write, as spelled in the header. */
export const SAFETENSORS_DTYPES = ['F32', 'F16', 'BF16', 'I64', 'I32', 'U8', 'BOOL'] as const;
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];

/** bfloat16 has no slot in `Tensor`; it crosses as raw bits and becomes float32 through `readFloat32`. */
export interface BFloat16Tensor {
  readonly dtype: 'bfloat16';
  readonly shape: readonly number[];
  readonly data: Uint16Array;
}
/** A tensor as stored: any `Tensor` our dtypes cover, or bf16 bits. */
export type StoredTensor = Tensor | BFloat16Tensor;

/** One header entry, keys as in the file. */
export interface SafetensorsInfo {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** [begin, end) relative to the first byte after the header. */
  readonly data_offsets: readonly [number, number];
  readonly byteLength: number;
}

/** Anything tensors can be read from by name: one safetensors file or a sharded set (safetensors-index.ts). */
export interface TensorSource {
  readonly path: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensor names in header order. */
  names(): readonly string[];
  has(name: string): boolean;
  info(name: string): SafetensorsInfo;
  /** The tensor in its stored dtype. */
  read(name: string): StoredTensor;
  /** F32, F16 or BF16 tensor as float32 (exact). @throws InputError for integer/bool tensors */
  readFloat32(name: string): Float32Array;
  close(): void;
}

const ITEM_SIZE: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1 };
/** safetensors' Rust Dtype enum order; the writer sorts by it, descending (alignment first), then by name. */
const DTYPE_RANK: Record<SafetensorsDType, number> = { BOOL: 0, U8: 1, F16: 7, BF16: 8, I32: 9, F32: 11, I64: 13 };
const TO_SAFETENSORS: Readonly<Record<string, SafetensorsDType>> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  uint8: 'U8',
  bool: 'BOOL',
};
/** The Rust library refuses headers above 100 MB; so do we, before allocating. */
const MAX_HEADER_BYTES = 100_000_000;
const DAMAGED_FIX = 're-download or re-export the file (it is damaged or not a safetensors file)';

function isDType(x: unknown): x is SafetensorsDType {
  return typeof x === 'string' && (SAFETENSORS_DTYPES as readonly string[]).includes(x);
}

function fail(path: string, what: string, fix: string, cause?: unknown): never {
  throw new InputError({ what, where: path, fix }, cause === undefined ? undefined : { cause });
}

function readExactly(fd: number, target: Uint8Array, position: number, path: string, what: string): void {
  let done = 0;
  while (done < target.byteLength) {
    // readSync takes at most 2 GiB per call; read big tensors in 1 GiB steps.
    const n = readSync(fd, target, done, Math.min(target.byteLength - done, 2 ** 30), position + done);
    if (n === 0) fail(path, `file ended while reading ${what}`, DAMAGED_FIX);
    done += n;
  }
}

/** Validates one parsed header entry; returns its info or pushes problems. */
function parseEntry(name: string, raw: unknown, dataBytes: number, where: string, problems: Problem[]): SafetensorsInfo | undefined {
  const at = `${where} → tensor '${name}'`;
  if (typeof raw !== 'object' || raw === null) {
    problems.push({ what: `header entry is ${JSON.stringify(raw)}, expected {dtype, shape, data_offsets}`, where: at, fix: DAMAGED_FIX });
    return undefined;
  }
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  const before = problems.length;
  if (!isDType(dtype)) {
    problems.push({
      what: `unknown or unsupported dtype ${JSON.stringify(dtype)}`,
      where: at,
      fix: `convert the tensor to one of ${SAFETENSORS_DTYPES.join(', ')}`,
    });
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    problems.push({ what: `shape ${JSON.stringify(shape)} is not a list of non-negative integers`, where: at, fix: DAMAGED_FIX });
  }
  const okOffsets =
    Array.isArray(offsets) && offsets.length === 2 && offsets.every((o) => Number.isSafeInteger(o) && o >= 0) && offsets[0] <= offsets[1];
  if (!okOffsets) {
    problems.push({ what: `data_offsets ${JSON.stringify(offsets)} are not [begin, end] with 0 ≤ begin ≤ end`, where: at, fix: DAMAGED_FIX });
  }
  if (problems.length > before) return undefined;
  const [begin, end] = offsets as [number, number];
  const byteLength = numel(shape as number[]) * ITEM_SIZE[dtype as SafetensorsDType];
  if (end - begin !== byteLength) {
    problems.push({
      what: `data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype as string} × [${(shape as number[]).join(', ')}] needs ${byteLength}`,
      where: at,
      fix: DAMAGED_FIX,
    });
  } else if (end > dataBytes) {
    problems.push({
      what: `data_offsets [${begin}, ${end}] reach beyond the ${dataBytes} data bytes in the file (truncated file?)`,
      where: at,
      fix: DAMAGED_FIX,
    });
  }
  return { dtype: dtype as SafetensorsDType, shape: [...(shape as number[])], data_offsets: [begin, end], byteLength };
}

function parseMetadata(raw: unknown, where: string, problems: Problem[]): Record<string, string> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
    problems.push({ what: `__metadata__ is ${JSON.stringify(raw)}, expected an object of strings`, where, fix: DAMAGED_FIX });
    return {};
  }
  return { ...(raw as Record<string, string>) };
}

/** Parses and validates a header (every problem collected, one InputError). */
export function parseSafetensorsHeader(
  json: string,
  dataBytes: number,
  path: string,
): { metadata: Record<string, string>; entries: Map<string, SafetensorsInfo> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    fail(path, `header is not valid JSON (${e instanceof Error ? e.message : String(e)})`, DAMAGED_FIX, e);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail(path, 'header is not a JSON object', DAMAGED_FIX);
  const problems: Problem[] = [];
  const entries = new Map<string, SafetensorsInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(raw, path, problems);
      continue;
    }
    const info = parseEntry(name, raw, dataBytes, path, problems);
    if (info) entries.set(name, info);
  }
  const sorted = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  for (let i = 1; i < sorted.length; i++) {
    const [prevName, prev] = sorted[i - 1]!;
    const [name, cur] = sorted[i]!;
    if (cur.data_offsets[0] < prev.data_offsets[1] && cur.byteLength > 0 && prev.byteLength > 0) {
      problems.push({
        what: `data_offsets [${cur.data_offsets.join(', ')}] overlap tensor '${prevName}' [${prev.data_offsets.join(', ')}]`,
        where: `${path} → tensor '${name}'`,
        fix: DAMAGED_FIX,
      });
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return { metadata, entries };
}

class SafetensorsFile implements TensorSource {
  #fd: number | undefined;
  readonly path: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly #entries: Map<string, SafetensorsInfo>;
  readonly #dataStart: number;

  constructor(path: string, fd: number, dataStart: number, metadata: Record<string, string>, entries: Map<string, SafetensorsInfo>) {
    this.path = path;
    this.#fd = fd;
    this.#dataStart = dataStart;
    this.metadata = Object.freeze(metadata);
    this.#entries = entries;
  }

  names(): readonly string[] {
    return [...this.#entries.keys()];
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  info(name: string): SafetensorsInfo {
    const info = this.#entries.get(name);
    if (!info) {
      fail(`${this.path} → tensor '${name}'`, `no tensor named '${name}' (the file holds ${this.#entries.size})`, 'check the weight name against the file (names() lists them)');
    }
    return info;
  }

  /** Reads the tensor's bytes into a fresh, 8-byte aligned buffer. */
  #readBytes(name: string): { info: SafetensorsInfo; buffer: ArrayBuffer } {
    const info = this.info(name);
    if (this.#fd === undefined) fail(this.path, `file was closed before reading '${name}'`, 'read tensors before close()');
    const buffer = new ArrayBuffer(info.byteLength);
    readExactly(this.#fd, new Uint8Array(buffer), this.#dataStart + info.data_offsets[0], this.path, `tensor '${name}'`);
    return { info, buffer };
  }

  read(name: string): StoredTensor {
    const { info, buffer } = this.#readBytes(name);
    const shape = info.shape;
    switch (info.dtype) {
      case 'F32':
        return { dtype: 'float32', shape, data: new Float32Array(buffer) };
      case 'F16':
        return { dtype: 'float16', shape, data: new Uint16Array(buffer) };
      case 'BF16':
        return { dtype: 'bfloat16', shape, data: new Uint16Array(buffer) };
      case 'I64':
        return { dtype: 'int64', shape, data: new BigInt64Array(buffer) };
      case 'I32':
        return { dtype: 'int32', shape, data: new Int32Array(buffer) };
      case 'U8':
        return { dtype: 'uint8', shape, data: new Uint8Array(buffer) };
      case 'BOOL':
        return { dtype: 'bool', shape, data: new Uint8Array(buffer) };
    }
  }

  readFloat32(name: string): Float32Array {
    const info = this.info(name);
    if (info.dtype === 'F32') return new Float32Array(this.#readBytes(name).buffer);
    if (info.dtype === 'F16') return float16ToFloat32(new Uint16Array(this.#readBytes(name).buffer));
    if (info.dtype === 'BF16') return bfloat16ToFloat32(new Uint16Array(this.#readBytes(name).buffer));
    return fail(`${this.path} → tensor '${name}'`, `tensor is ${info.dtype}, not a float tensor`, 'read it with read(name), or pass a float weight');
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/**
 * Opens a safetensors file: reads and validates the header only; tensors are read on demand by offset.
 * @example
 * const file = openSafetensors('unet/diffusion_pytorch_model.safetensors');
 * const w = file.readFloat32('conv_in.weight'); // Float32Array(1152), F16 converted exactly
 * file.close();
 * @throws InputError naming the file (and tensor) for a missing, truncated or malformed file or an unknown dtype
 */
export function openSafetensors(path: string): TensorSource {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : String(e);
    return fail(path, `cannot open safetensors file (${code})`, 'check the path and its read permission', e);
  }
  try {
    const size = fstatSync(fd).size;
    if (size < 8) fail(path, `file is ${size} bytes, shorter than the 8-byte header length (truncated file)`, DAMAGED_FIX);
    const lengthBytes = new Uint8Array(8);
    readExactly(fd, lengthBytes, 0, path, 'the header length');
    const headerBig = new DataView(lengthBytes.buffer).getBigUint64(0, true);
    if (headerBig > BigInt(size - 8)) {
      fail(path, `header length ${headerBig} reaches beyond the end of the ${size}-byte file (truncated or not safetensors)`, DAMAGED_FIX);
    }
    const headerBytes = Number(headerBig);
    if (headerBytes > MAX_HEADER_BYTES) fail(path, `header length ${headerBytes} exceeds the 100 MB limit`, DAMAGED_FIX);
    const header = new Uint8Array(headerBytes);
    readExactly(fd, header, 8, path, 'the header');
    const { metadata, entries } = parseSafetensorsHeader(new TextDecoder().decode(header), size - 8 - headerBytes, path);
    return new SafetensorsFile(path, fd, 8 + headerBytes, metadata, entries);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** Reads every tensor of a (small) file at once: for references and tests, not for multi-GB checkpoints. */
export function readSafetensors(path: string): { metadata: Record<string, string>; tensors: Map<string, StoredTensor> } {
  const file = openSafetensors(path);
  try {
    const tensors = new Map<string, StoredTensor>();
    for (const name of file.names()) tensors.set(name, file.read(name));
    return { metadata: { ...file.metadata }, tensors };
  } finally {
    file.close();
  }
}

function bytesOf(t: StoredTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/**
 * Serializes tensors the way the python library does (byte-identical for the same input): entries sorted by dtype
 * alignment (largest first) then name, compact JSON with `__metadata__` first, header padded with spaces to 8 bytes.
 * @returns chunks to write in order: [length + header, tensor bytes…] (tensor data is not copied)
 * @throws InputError for a dtype safetensors cannot hold or data whose length does not match the shape
 */
export function encodeSafetensors(tensors: Readonly<Record<string, StoredTensor>>, metadata?: Readonly<Record<string, string>>): Uint8Array[] {
  const problems: Problem[] = [];
  const items: { name: string; dtype: SafetensorsDType; tensor: StoredTensor }[] = [];
  for (const [name, tensor] of Object.entries(tensors)) {
    const dtype = TO_SAFETENSORS[tensor.dtype];
    if (dtype === undefined) {
      problems.push({ what: `dtype ${tensor.dtype} cannot be stored`, where: `tensor '${name}'`, fix: `convert it to one of ${Object.keys(TO_SAFETENSORS).join(', ')}` });
    } else if (tensor.data.length !== numel(tensor.shape)) {
      problems.push({ what: `data has ${tensor.data.length} elements, shape [${tensor.shape.join(', ')}] needs ${numel(tensor.shape)}`, where: `tensor '${name}'`, fix: 'pass data matching the shape' });
    } else {
      items.push({ name, dtype, tensor });
    }
  }
  if (hasReservedName(tensors)) problems.push({ what: "'__metadata__' is reserved", where: "tensor '__metadata__'", fix: 'rename the tensor' });
  if (problems.length > 0) throw new InputError(problems);
  items.sort((a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header['__metadata__'] = metadata;
  let offset = 0;
  for (const { name, dtype, tensor } of items) {
    const end = offset + tensor.data.byteLength;
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.byteLength);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return [head, ...items.map(({ tensor }) => bytesOf(tensor))];
}

function hasReservedName(tensors: Readonly<Record<string, StoredTensor>>): boolean {
  return Object.prototype.hasOwnProperty.call(tensors, '__metadata__');
}

/**
 * Writes tensors to a safetensors file atomically (temp file + rename); see encodeSafetensors for the layout.
 * @example await writeSafetensors('out.safetensors', { 'emb': float32([2, 4]) }, { format: 'pt' });
 */
export async function writeSafetensors(
  path: string,
  tensors: Readonly<Record<string, StoredTensor>>,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
