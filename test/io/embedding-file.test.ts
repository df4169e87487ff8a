// Embedding files: the kohya form we write, and each safetensors form A1111 / ComfyUI / diffusers write, read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEmbeddingFile, writeEmbeddingFile } from '../../src/io/embedding-file.ts';
import { float32ToFloat16 } from '../../src/io/float16.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';
import { InputError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'embedding-file-test-'));
const vector = Float32Array.from({ length: 8 }, (_, i) => (i - 3.5) / 7);

test('a written embedding file is {"emb_params": [1, D]} and loads back equal', async () => {
  const path = join(dir, 'written.safetensors');
  await writeEmbeddingFile(path, vector, 8);
  const header = JSON.parse(readFileSync(path).subarray(8, 8 + Number(readFileSync(path).readBigUInt64LE(0))).toString('utf8')) as Record<string, { dtype: string; shape: number[] }>;
  assert.deepEqual(Object.keys(header), ['emb_params']);
  assert.deepEqual(header['emb_params'], { dtype: 'F32', shape: [1, 8], data_offsets: [0, 32] });
  const read = readEmbeddingFile(path, 8);
  assert.deepEqual(read, { data: vector, vectors: 1, width: 8, form: 'emb_params', key: 'emb_params' });
});

test("diffusers' single {token: [D]} form reads as one vector under its token", async () => {
  const path = join(dir, 'diffusers.safetensors');
  await writeSafetensors(path, { '<cat-toy>': { dtype: 'float32', shape: [8], data: vector } });
  const read = readEmbeddingFile(path, 8);
  assert.equal(read.form, 'token');
  assert.equal(read.key, '<cat-toy>');
  assert.equal(read.vectors, 1);
  assert.deepEqual(read.data, vector);
});

test('a string_to_param.* entry (A1111 layout) reads, F16 widened exactly', async () => {
  const path = join(dir, 'a1111.safetensors');
  const two = Float32Array.from([...vector, ...vector.map((v) => -v)]);
  await writeSafetensors(path, { 'string_to_param.*': { dtype: 'float16', shape: [2, 8], data: float32ToFloat16(two) } });
  const read = readEmbeddingFile(path, 8);
  assert.equal(read.form, 'string_to_param');
  assert.equal(read.vectors, 2);
  // Every value here is a multiple of 1/14 within ±0.5: F16 holds them to 2^-12.
  read.data.forEach((v, i) => assert.ok(Math.abs(v - two[i]!) < 2 ** -11, `value ${i}: ${v} vs ${two[i]}`));
});

test('an SDXL-style file gives its clip_l half (SD 1.x width), not clip_g', async () => {
  const path = join(dir, 'sdxl.safetensors');
  await writeSafetensors(path, {
    clip_g: { dtype: 'float32', shape: [1, 12], data: new Float32Array(12).fill(9) },
    clip_l: { dtype: 'float32', shape: [1, 8], data: vector },
  });
  const read = readEmbeddingFile(path, 8);
  assert.equal(read.form, 'clip_l');
  assert.deepEqual(read.data, vector);
});

test('a width other than the text encoder\'s is refused with both widths in the message', async () => {
  const path = join(dir, 'wide.safetensors');
  await writeEmbeddingFile(path, new Float32Array(1024), 1024);
  assert.throws(
    () => readEmbeddingFile(path, 768),
    (e: unknown) => e instanceof InputError && /width 1024/.test(e.message) && /width 768/.test(e.message) && e.message.includes(path),
  );
});

test('a file with several unknown tensors is refused, naming them', async () => {
  const path = join(dir, 'unknown.safetensors');
  await writeSafetensors(path, { a: { dtype: 'float32', shape: [8], data: vector }, b: { dtype: 'float32', shape: [8], data: vector } });
  assert.throws(() => readEmbeddingFile(path, 8), (e: unknown) => e instanceof InputError && /"a", "b"/.test(e.message) && /emb_params/.test(e.message));
});
