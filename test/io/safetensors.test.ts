import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, openSafetensors, readSafetensors, writeSafetensors, type StoredTensor } from '../../src/io/safetensors.ts';
import { float32, int64, tensor } from '../../src/tensor.ts';
import { referencePath, referenceSkip } from '../support/reference.ts';

interface ManifestTensor {
  shape: number[];
  dtype: string;
  stats?: { first?: number[]; sum?: number };
}
interface Manifest {
  models: Record<string, { dir: string; files: Record<string, { tensors?: Record<string, number[]>; dtypes?: string[] }> }>;
  refs: Record<string, { file: string; tensors: Record<string, ManifestTensor> }>;
}

const MANIFEST_DTYPE: Record<string, string> = { float32: 'F32', float16: 'F16', int64: 'I64', int32: 'I32', bool: 'BOOL', uint8: 'U8' };

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'safetensors-test-'));
}

/** Every safetensors file a manifest lists, with the expected shape/dtype/stats of each tensor. */
function fixtureFiles(folder: string): { path: string; tensors: Record<string, ManifestTensor> }[] {
  const manifest = JSON.parse(readFileSync(referencePath(`${folder}/manifest.json`), 'utf8')) as Manifest;
  const out: { path: string; tensors: Record<string, ManifestTensor> }[] = [];
  for (const model of Object.values(manifest.models)) {
    for (const [file, entry] of Object.entries(model.files)) {
      if (!file.endsWith('.safetensors') || !entry.tensors) continue;
      const dtype = entry.dtypes?.[0] ?? 'float32';
      const tensors: Record<string, ManifestTensor> = {};
      for (const [name, shape] of Object.entries(entry.tensors)) tensors[name] = { shape, dtype };
      out.push({ path: referencePath(`${folder}/${model.dir}/${file}`), tensors });
    }
  }
  for (const ref of Object.values(manifest.refs)) out.push({ path: referencePath(`${folder}/${ref.file}`), tensors: ref.tensors });
  return out;
}

function asNumbers(t: StoredTensor, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count && i < t.data.length; i++) out.push(Number(t.data[i]));
  return out;
}

for (const folder of ['diffusers', 'diffusers-extra']) {
  test(`every ${folder} fixture file reads with the manifest's names, shapes, dtypes, first values and sums`, { skip: referenceSkip() }, () => {
    const files = fixtureFiles(folder);
    // The manifest lists every .safetensors file on disk, weights and refs alike.
    const onDisk = readdirSync(referencePath(folder), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.safetensors'))
      .map((f) => referencePath(`${folder}/${f}`));
    assert.deepEqual(files.map((f) => f.path).sort(), onDisk.sort());
    for (const { path, tensors } of files) {
      const file = openSafetensors(path);
      try {
        assert.deepEqual([...file.names()].sort(), Object.keys(tensors).sort(), path);
        for (const [name, expected] of Object.entries(tensors)) {
          const info = file.info(name);
          assert.deepEqual(info.shape, expected.shape, `${path} ${name} shape`);
          assert.equal(info.dtype, MANIFEST_DTYPE[expected.dtype], `${path} ${name} dtype`);
          const first = expected.stats?.first;
          if (first) {
            // The manifest prints float32 values as float64: exact after fround.
            const got = asNumbers(file.read(name), first.length);
            assert.deepEqual(got, first.map((v) => (expected.dtype === 'float32' ? Math.fround(v) : v)), `${path} ${name} first`);
          }
          const sum = expected.stats?.sum;
          if (sum !== undefined && info.dtype !== 'I64') {
            let s = 0;
            for (const v of file.readFloat32(name)) s += v;
            assert.ok(Math.abs(s - sum) <= 1e-9 * Math.max(1, Math.abs(sum)) + 1e-9, `${path} ${name} sum ${s} vs ${sum}`);
          }
        }
      } finally {
        file.close();
      }
    }
  });
}

test('F16 → F32 of the unet_sd15ish and unet_sd2ish weights equals numpy astype(float32) bit for bit', { skip: referenceSkip() }, () => {
  // Oracle: numpy 2.4 `np.frombuffer(bytes, float16).astype(np.float32).tobytes()` of every tensor in name order,
  // hashed with sha256 (computed once, outside the repo, from the same fixture files), and the float64 sum.
  const cases = [
    { path: 'diffusers/unet_sd15ish/diffusion_pytorch_model.safetensors', sha: '2f41de35e9da9ad117a1a6efbc950bd90d10fd02a024f20bb1d39be70d19491c', sum: 6671.502897977829 },
    { path: 'diffusers-extra/unet_sd2ish/diffusion_pytorch_model.safetensors', sha: '1963cbb98c44142f85733131ef4eb5b70449482c27ab1ec5c006e2f0f6278b7f', sum: 6599.929256796837 },
  ];
  for (const { path, sha, sum } of cases) {
    const file = openSafetensors(referencePath(path));
    const hash = createHash('sha256');
    let total = 0;
    for (const name of [...file.names()].sort()) {
      assert.equal(file.info(name).dtype, 'F16');
      const values = file.readFloat32(name);
      hash.update(new Uint8Array(values.buffer));
      for (const v of values) total += v;
    }
    file.close();
    assert.equal(hash.digest('hex'), sha, path);
    assert.ok(Math.abs(total - sum) < 1e-9 * Math.abs(sum), `${path} sum ${total}`);
  }
  const first = openSafetensors(referencePath(cases[0]!.path));
  assert.deepEqual([...first.readFloat32('conv_in.weight').subarray(0, 4)], [0.08587646484375, -0.07354736328125, -0.032318115234375, 0.0782470703125]);
  first.close();
});

test('rewriting a fixture file reproduces the python writer byte for byte', { skip: referenceSkip() }, () => {
  for (const path of [
    'diffusers/unet_tiny/diffusion_pytorch_model.safetensors',
    'diffusers/unet_sd15ish/diffusion_pytorch_model.safetensors',
    'diffusers/refs/unet_tiny_grad.safetensors',
    'diffusers/refs/clip_text.safetensors',
  ]) {
    const original = readFileSync(referencePath(path));
    const { metadata, tensors } = readSafetensors(referencePath(path));
    const bytes = Buffer.concat(encodeSafetensors(Object.fromEntries(tensors), metadata));
    assert.ok(bytes.equals(original), `${path}: ${bytes.length} vs ${original.length} bytes`);
  }
});

test('write → read → write round trip is byte-identical for every dtype, with metadata', async () => {
  const dir = tmp();
  try {
    const tensors: Record<string, StoredTensor> = {
      'w.f32': float32([2, 3], [1, -2, 3.5, 0, -0, 1e-30]),
      'w.f16': tensor('float16', [3], new Uint16Array([0x3c00, 0xc000, 0x7c00])),
      'w.bf16': { dtype: 'bfloat16', shape: [2], data: new Uint16Array([0x3f80, 0xc040]) },
      ids: int64([2], [49406n, 49407n]),
      'i32': tensor('int32', [1, 2], new Int32Array([-7, 7])),
      'u8': tensor('uint8', [4], new Uint8Array([0, 1, 254, 255])),
      mask: tensor('bool', [2], new Uint8Array([1, 0])),
      empty: float32([0, 4]),
    };
    const a = join(dir, 'a.safetensors');
    const b = join(dir, 'b.safetensors');
    await writeSafetensors(a, tensors, { format: 'pt', note: 'ünïcode' });
    const back = readSafetensors(a);
    assert.deepEqual(back.metadata, { format: 'pt', note: 'ünïcode' });
    assert.deepEqual([...(back.tensors.get('w.f32')!.data as Float32Array)], [1, -2, 3.5, 0, -0, Math.fround(1e-30)]);
    assert.deepEqual([...(back.tensors.get('ids')!.data as BigInt64Array)], [49406n, 49407n]);
    assert.equal(back.tensors.get('w.bf16')!.dtype, 'bfloat16');
    const file = openSafetensors(a);
    assert.deepEqual([...file.readFloat32('w.bf16')], [1, -3]);
    assert.deepEqual([...file.readFloat32('w.f16')], [1, -2, Infinity]);
    // Header order: dtype alignment (I64, F32, I32, BF16, F16, U8, BOOL), then name.
    assert.deepEqual(file.names(), ['ids', 'empty', 'w.f32', 'i32', 'w.bf16', 'w.f16', 'u8', 'mask']);
    file.close();
    await writeSafetensors(b, Object.fromEntries(back.tensors), back.metadata);
    assert.ok(readFileSync(a).equals(readFileSync(b)));
    const raw = readFileSync(a);
    const headerLength = Number(raw.readBigUInt64LE(0));
    assert.equal(headerLength % 8, 0);
    assert.equal(raw.subarray(8, 8 + headerLength).toString('utf8').trimEnd().endsWith('}'), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A valid two-tensor file, then `edit` applied to its header JSON / bytes. */
function craft(dir: string, name: string, header: unknown, data: Uint8Array, lengthOverride?: bigint): string {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([head, json, data]));
  return path;
}

function assertInputError(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error && e.name === 'InputError', `expected InputError, got ${String(e)}`);
    for (const part of parts) assert.ok(e.message.includes(part), `message lacks ${JSON.stringify(part)}: ${e.message}`);
    assert.match(e.message, /\(fix: .+\)/);
    return true;
  });
}

test('bad safetensors files fail with an InputError naming the file, the tensor and the fix', () => {
  const dir = tmp();
  try {
    const good = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } };
    const data = new Uint8Array(12);
    const tiny = join(dir, 'tiny.safetensors');
    writeFileSync(tiny, new Uint8Array(5));
    assertInputError(() => openSafetensors(tiny), tiny, 'truncated');
    const truncated = craft(dir, 'truncated.safetensors', good, data.subarray(0, 10));
    assertInputError(() => openSafetensors(truncated), truncated, "tensor 'b'", 'beyond');
    const longHeader = craft(dir, 'long-header.safetensors', good, data, 1_000_000n);
    assertInputError(() => openSafetensors(longHeader), longHeader, 'header length 1000000');
    const broken = craft(dir, 'broken.safetensors', '{"a": {"dtype": "F32",', data);
    assertInputError(() => openSafetensors(broken), broken, 'not valid JSON');
    const lying = craft(dir, 'lying.safetensors', { ...good, b: { dtype: 'F32', shape: [3], data_offsets: [8, 12] } }, data);
    assertInputError(() => openSafetensors(lying), lying, "tensor 'b'", 'needs 12');
    const overlap = craft(dir, 'overlap.safetensors', { ...good, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, data);
    assertInputError(() => openSafetensors(overlap), overlap, "tensor 'b'", 'overlap');
    const unknown = craft(dir, 'unknown.safetensors', { ...good, b: { dtype: 'F8_E4M3', shape: [4], data_offsets: [8, 12] } }, data);
    assertInputError(() => openSafetensors(unknown), unknown, "tensor 'b'", 'F8_E4M3', 'convert the tensor');
    const missing = join(dir, 'missing.safetensors');
    assertInputError(() => openSafetensors(missing), missing, 'ENOENT', 'check the path');
    const ok = openSafetensors(craft(dir, 'ok.safetensors', { ...good, n: { dtype: 'I64', shape: [0], data_offsets: [12, 12] } }, data));
    assertInputError(() => ok.readFloat32('n'), "tensor 'n'", 'I64');
    assertInputError(() => ok.read('nope'), "tensor 'nope'");
    ok.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
