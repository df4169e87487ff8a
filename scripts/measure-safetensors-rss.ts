// Issue 3 acceptance: a 3 GB safetensors file read tensor by tensor with peak RSS < 500 MB.
// Writes 60 F16 tensors of 50 MB (streamed, never the whole file in memory) to os.tmpdir(), reads each one back
// as float32 through openSafetensors, checks its values, reports the peak RSS, and deletes the file.
// Run: node --import tsx scripts/measure-safetensors-rss.ts   (or under /usr/bin/time -v for the kernel's max RSS)
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSafetensors } from '../src/io/index.ts';

const TENSORS = 60;
const TENSOR_BYTES = 50 * 1024 * 1024;
const VALUES = TENSOR_BYTES / 2;
const path = join(tmpdir(), `collage-rss-${process.pid}.safetensors`);

/** F16 bits of tensor t, element i: small integers (exact in F16) so every value can be checked after reading. */
const valueOf = (t: number, i: number): number => ((i + t) % 1024) - 512;

function writeFile(): void {
  const header: Record<string, unknown> = { __metadata__: { purpose: 'rss measurement' } };
  for (let t = 0; t < TENSORS; t++) {
    header[`layer.${String(t).padStart(2, '0')}.weight`] = { dtype: 'F16', shape: [VALUES / 1024, 1024], data_offsets: [t * TENSOR_BYTES, (t + 1) * TENSOR_BYTES] };
  }
  const json = Buffer.from(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const head = Buffer.alloc(8 + padded, 0x20);
  head.writeBigUInt64LE(BigInt(padded));
  json.copy(head, 8);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    const chunk = new Uint16Array(VALUES);
    const f16 = new Map<number, number>(); // integer → F16 bits
    for (let v = -512; v < 512; v++) {
      const f = new Float32Array([v]);
      const bits = new Uint32Array(f.buffer)[0]!;
      const e = ((bits >>> 23) & 0xff) - 112;
      f16.set(v, v === 0 ? 0 : ((bits >>> 16) & 0x8000) | (e << 10) | ((bits & 0x7fffff) >>> 13));
    }
    for (let t = 0; t < TENSORS; t++) {
      for (let i = 0; i < VALUES; i++) chunk[i] = f16.get(valueOf(t, i))!;
      writeSync(fd, new Uint8Array(chunk.buffer));
    }
  } finally {
    closeSync(fd);
  }
}

function main(): void {
  const t0 = performance.now();
  writeFile();
  const written = performance.now();
  let peak = process.memoryUsage().rss;
  const file = openSafetensors(path);
  try {
    for (const name of file.names()) {
      const t = Number(name.split('.')[1]);
      const values = file.readFloat32(name);
      for (let i = 0; i < values.length; i += 4099) {
        if (values[i] !== valueOf(t, i)) throw new Error(`${name}[${i}] = ${values[i]}, expected ${valueOf(t, i)}`);
      }
      peak = Math.max(peak, process.memoryUsage().rss);
    }
  } finally {
    file.close();
    rmSync(path, { force: true });
  }
  const read = performance.now();
  const gb = (TENSORS * TENSOR_BYTES) / 1e9;
  console.log(`file: ${TENSORS} F16 tensors × ${TENSOR_BYTES / 2 ** 20} MiB = ${gb.toFixed(2)} GB (written in ${((written - t0) / 1000).toFixed(1)} s)`);
  console.log(`read tensor by tensor as float32 in ${((read - written) / 1000).toFixed(1)} s; values checked`);
  console.log(`peak RSS (sampled after each tensor): ${(peak / 2 ** 20).toFixed(0)} MiB (target < 500 MB)`);
}

main();
